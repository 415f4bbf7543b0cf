// Graphite 1.1 tags: names may not hold `;!^=`, values may not hold `;` or start with `~`, neither may be
// empty. Whitespace and non-ASCII are refused too: a space ends the name in the plaintext protocol.
const TAG_NAME = /^[\x21-\x7e]+$/;
const TAG_NAME_FORBIDDEN = /[;!^=]/;
const TAG_VALUE = /^[\x21-\x7e]+$/;

/** Checks one tag; returns what is wrong with it, or undefined when it is valid. */
export function tagProblem(name: string, value: string): string | undefined {
  if (!TAG_NAME.test(name) || TAG_NAME_FORBIDDEN.test(name)) {
    return `tag name "${name}" must be printable ASCII without spaces or any of ; ! ^ =`;
  }
  if (!TAG_VALUE.test(value) || value.includes(';') || value.startsWith('~')) {
    return `tag value "${value}" must be printable ASCII without spaces or ';', and not start with '~'`;
  }
  return undefined;
}

/** Renders validated tags as the `;k=v;k2=v2` suffix of a tagged series name. */
export function tagSuffix(tags: Readonly<Record<string, string>>): string {
  let suffix = '';
  for (const [name, value] of Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const problem = tagProblem(name, value);
    if (problem) throw new Error(problem);
    suffix += `;${name}=${value}`;
  }
  return suffix;
}
