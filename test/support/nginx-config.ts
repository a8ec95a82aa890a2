// Reading an nginx site config the way nginx picks locations, for tests that check what deploy/nginx promises.

export interface Location {
  modifier: '' | '=' | '~' | '~*' | '^~' | '@';
  pattern: string;
  body: string;
}

/** The `location` blocks of a site config (comments dropped), in order. */
export function locations(site: string): Location[] {
  const text = site.replace(/#.*$/gm, '');
  return [...text.matchAll(/^\s*location\s+(?:(=|~\*?|\^~)\s+)?(@?)(\S+)\s*\{/gm)].map((match) => {
    let depth = 1;
    let at = match.index + match[0].length;
    const start = at;
    for (; depth > 0; at += 1) {
      if (at >= text.length) throw new Error(`unbalanced braces after location ${match[3]}`);
      if (text[at] === '{') depth += 1;
      if (text[at] === '}') depth -= 1;
    }
    const modifier = (match[2] ? '@' : (match[1] ?? '')) as Location['modifier'];
    return { modifier, pattern: match[3]!, body: text.slice(start, at - 1) };
  });
}

/** The location nginx picks for `path`: an exact match, else the first regex that matches, else the longest prefix. */
export function locationFor(all: Location[], path: string): Location | undefined {
  // No `^~` prefix in this site: it would stop the regex search, and this lookup would have to honour that.
  if (all.some((l) => l.modifier === '^~')) throw new Error('locationFor does not model ^~ locations');
  const prefixes = all.filter((l) => l.modifier === '' && path.startsWith(l.pattern));
  return (
    all.find((l) => l.modifier === '=' && l.pattern === path) ??
    all.find((l) => l.modifier.startsWith('~') && new RegExp(l.pattern, l.modifier === '~*' ? 'i' : '').test(path)) ??
    prefixes.sort((a, b) => b.pattern.length - a.pattern.length)[0]
  );
}

/** The value of the first `name` directive in `body`, or undefined. */
export const directive = (body: string, name: string): string | undefined =>
  new RegExp(`^\\s*${name}\\s+([^;]+);`, 'm').exec(body)?.[1]?.trim();
