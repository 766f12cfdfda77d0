// Every verb, in `virsh help` order within bunvirt. Adding a verb: write verbs/NAME.ts exporting
// defineVerb({...}) and add it here.
import type { Verb } from "../verb.ts";
import autostart from "./autostart.ts";
import capabilities from "./capabilities.ts";
import consoleVerb from "./console.ts";
import create from "./create.ts";
import daemon from "./daemon.ts";
import define from "./define.ts";
import destroy from "./destroy.ts";
import domid from "./domid.ts";
import dominfo from "./dominfo.ts";
import domname from "./domname.ts";
import domstate from "./domstate.ts";
import domuuid from "./domuuid.ts";
import domxmlToNative from "./domxml-to-native.ts";
import dumpxml from "./dumpxml.ts";
import hostname from "./hostname.ts";
import list from "./list.ts";
import lxcEnter from "./lxc-enter-namespace.ts";
import reboot from "./reboot.ts";
import resume from "./resume.ts";
import run from "./run.ts";
import shutdown from "./shutdown.ts";
import start from "./start.ts";
import suspend from "./suspend.ts";
import undefine from "./undefine.ts";
import uri from "./uri.ts";
import version from "./version.ts";

export const verbs: Verb[] = [
  autostart, capabilities, consoleVerb, create, daemon, define, destroy, domid, dominfo, domname, domstate, domuuid,
  domxmlToNative, dumpxml, hostname, list, lxcEnter, reboot, resume, run, shutdown, start, suspend, undefine, uri, version,
];
