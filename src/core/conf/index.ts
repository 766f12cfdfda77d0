// Domain XML: the typed model, parser (txml + a well-formedness check), validation (libvirt's
// RelaxNG as a generated name/value table, plus a valibot schema of the model) and formatter.
// CONTRACT (other modules depend on these names):
//   parseDomainXml(xml, { validate?, inactive? }) -> DomainDef      throws VirError
//   formatDomainXml(def, { inactive?, id? }) -> string                libvirt's layout, ends in "\n"
//   applyCommonDefaults(def) -> def     post-parse defaults every libvirt driver applies
//   validateDomainDef(def)              invariants of a definition built in code (valibot)
// and the model types (DomainDef, Device and its variants ...) from model.ts.
export * from "./model.ts";
export { parseDomainXml, type ParseOptions } from "./parse.ts";
export { formatDomainXml, type FormatOptions } from "./format.ts";
export { applyCommonDefaults } from "./defaults.ts";
export { validateDomainDef } from "./validate.ts";
