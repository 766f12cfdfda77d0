// Domain XML: the typed model, parser (txml), validation (valibot) and formatter.
// CONTRACT (other modules depend on these names): parseDomainXml, formatDomainXml, DomainDef.
// The conf owner fleshes out model.ts/parse.ts/format.ts behind these exports.
export * from "./model.ts";
export { parseDomainXml } from "./parse.ts";
export { formatDomainXml } from "./format.ts";
export { applyCommonDefaults } from "./defaults.ts";
export { validateDomainDef } from "./validate.ts";
