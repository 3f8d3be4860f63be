// Response headers as undici and node:http hand them over (a name may repeat), and the one rule for reading a
// single value: the last one wins.

/** Response headers keyed by lower-case name. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** The last value of header `name`, or undefined when absent. */
export function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[value.length - 1] : value;
}
