// C sources are imported as text (`with { type: "text" }`) and compiled at run time (TinyCC) or
// at build time (gcc); to TypeScript they are strings.
declare module "*.c" {
  const text: string;
  export default text;
}
