import { existsSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { errors, ErrorDomain } from "../../../core/errors.ts";

/** Write a cgroup control file, naming file and value when the kernel refuses. */
export function cgWrite(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch (e) {
    throw errors.operationFailed(`cannot write '${value.trim()}' to ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`, ErrorDomain.CGROUP);
  }
}

export function cgRead(path: string): string {
  return readFileSync(path, "utf8").trim();
}

/** rmdir, retrying briefly: a cgroup is busy until the kernel has finished reaping its tasks. */
export function cgRmdir(dir: string): void {
  for (let i = 0; i < 200; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return;
      if (code !== "EBUSY") throw e;
      Bun.sleepSync(5);
    }
  }
  if (existsSync(dir)) throw errors.operationFailed(`cgroup ${dir} is still busy`, ErrorDomain.CGROUP);
}
