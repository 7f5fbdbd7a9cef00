// js-yaml 4 ships no type declarations (they live in @types/js-yaml, not installed): the part used here.
declare module 'js-yaml' {
  export const CORE_SCHEMA: object;
  export function load(text: string, options?: { schema?: object; filename?: string }): unknown;
}
