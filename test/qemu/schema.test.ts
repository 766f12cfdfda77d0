// Capability flags from a QMP schema, walked the way libvirt names its probes.
import { expect, test } from "bun:test";
import { QmpSchema, schemaFlags } from "../../src/plugins/qemu/schema.ts";

const schema = [
  { name: "block-stream", "meta-type": "command", "arg-type": "1", "ret-type": "0" },
  { name: "1", "meta-type": "object", members: [{ name: "device", type: "str" }, { name: "backing-mask-protocol", type: "bool" }] },
  { name: "netdev_add", "meta-type": "command", "arg-type": "2", "ret-type": "0" },
  { name: "2", "meta-type": "object", members: [{ name: "type", type: "3" }], variants: [{ case: "stream", type: "4" }] },
  { name: "4", "meta-type": "object", members: [{ name: "addr", type: "5" }, { name: "server", type: "bool" }] },
  { name: "query-hotpluggable-cpus", "meta-type": "command", "arg-type": "0", "ret-type": "[6]" },
  { name: "[6]", "meta-type": "array", "element-type": "6" },
  { name: "6", "meta-type": "object", members: [{ name: "props", type: "7" }] },
  { name: "7", "meta-type": "object", members: [{ name: "die-id", type: "int" }] },
  { name: "bool", "meta-type": "builtin" },
  { name: "int", "meta-type": "builtin" },
  { name: "str", "meta-type": "builtin" },
  { name: "5", "meta-type": "object", members: [] },
];

test("paths through arguments, union variants and array results", () => {
  const s = new QmpSchema(schema);
  expect(s.has("block-stream/arg-type/backing-mask-protocol")).toBe(true);
  expect(s.has("block-stream/arg-type/nope")).toBe(false);
  expect(s.has("netdev_add/arg-type/+stream")).toBe(true);
  expect(s.has("netdev_add/arg-type/+stream/reconnect")).toBe(false);
  expect(s.has("netdev_add/arg-type/+vhost-vdpa")).toBe(false);
  expect(s.has("query-hotpluggable-cpus/ret-type/props/die-id")).toBe(true);
  expect(s.has("1")).toBe(false); // a type, not a command
});

test("libvirt flags of a QEMU with that schema", () => {
  expect(schemaFlags(schema)).toEqual(["blockjob.backing-mask-protocol", "netdev.stream", "smp-dies"]);
});
