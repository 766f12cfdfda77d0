// libvirt's test:///default fixtures (src/test/test_driver.c, libvirt 9.0): the one domain the
// driver starts with, and the fake host its capabilities describe. (libvirt's text also has
// bridge='virbr0' on the network <source>; its parser ignores that attribute for type='network',
// so it is left out here.)
import type { HostCaps } from "../../core/capabilities.ts";

export const DEFAULT_DOMAIN_XML = `<domain type='test'>
  <name>test</name>
  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
  <memory>8388608</memory>
  <currentMemory>2097152</currentMemory>
  <vcpu>2</vcpu>
  <os>
    <type>hvm</type>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <source file='/guest/diskimage1'/>
      <target dev='vda' bus='virtio'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </disk>
    <interface type='network'>
      <mac address='aa:bb:cc:dd:ee:ff'/>
      <source network='default'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x1' function='0x0'/>
    </interface>
    <memballoon model='virtio'>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x2' function='0x0'/>
    </memballoon>
  </devices>
</domain>`;

/** testBuildCapabilities: two NUMA cells of 8 cpus, i686, page sizes 4/8/2048/1048576 KiB. */
export function testHostCaps(): HostCaps {
  const cell = (id: number, memKiB: number, firstPage: { size: number; count: number }) => ({
    id,
    memoryKiB: memKiB,
    pages: [firstPage, { size: 2048, count: 0 }, { size: 1048576, count: 0 }],
    cpus: Array.from({ length: 8 }, (_, i) => ({ id: id * 8 + i, socketId: id, dieId: 0, coreId: i, siblings: String(id * 8 + i) })),
  });
  return {
    arch: "i686",
    cpuFeatures: ["pae", "nonpae"],
    pageSizes: [4, 8, 2048, 1048576],
    powerManagement: [],
    iommu: false,
    cells: [cell(0, 2097152, { size: 4, count: 524288 }), cell(1, 4194304, { size: 8, count: 524288 })],
    secmodels: [{ model: "testSecurity", doi: "" }],
  };
}
