// The production dependency `bytes` ships no types; this is all we use of it.
declare module "bytes" {
  function bytes(value: number): string;
  export = bytes;
}
