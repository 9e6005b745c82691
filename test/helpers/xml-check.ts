// A small well-formedness check for the XML gitfed writes (fleet.svg): one
// root, tags nested and closed, attributes quoted and unique, only the five
// predefined entities or character references, no raw `<` or `&` in text.
// Enough for a generated document; not a general XML parser.

/** Problems found (empty: well-formed). */
export function xmlProblems(doc: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  const body = doc.replace(/^<\?xml[^?]*\?>\s*/, '');
  const token = /<!--[\s\S]*?-->|<\/([A-Za-z][\w:.-]*)\s*>|<([A-Za-z][\w:.-]*)((?:\s+[A-Za-z_:][\w:.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|([^<]+)|(<)/g;
  const entities = (text: string, where: string) => {
    for (const m of text.matchAll(/&([^;\s]*);?/g)) {
      if (!/^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);$/.test(m[0])) problems.push(`bad entity ${JSON.stringify(m[0])} in ${where}`);
    }
  };
  for (const m of body.matchAll(token)) {
    const [, close, open, attrs, selfClose, text, stray] = m;
    if (stray) { problems.push(`stray "<" at offset ${m.index}`); continue; }
    if (text !== undefined) {
      if (stack.length === 0 && text.trim()) problems.push(`text outside the root: ${JSON.stringify(text.slice(0, 20))}`);
      entities(text, 'text');
      continue;
    }
    if (close) {
      const top = stack.pop();
      if (top !== close) problems.push(`</${close}> closes <${top ?? 'nothing'}>`);
      continue;
    }
    if (open) {
      if (stack.length === 0) roots++;
      const names = [...(attrs ?? '').matchAll(/([A-Za-z_:][\w:.-]*)\s*=\s*("[^"]*"|'[^']*')/g)];
      const seen = new Set<string>();
      for (const [, name, value] of names) {
        if (seen.has(name!)) problems.push(`attribute ${name} twice on <${open}>`);
        seen.add(name!);
        entities(value!, `attribute ${name}`);
      }
      if (!selfClose) stack.push(open);
    }
  }
  if (stack.length) problems.push(`unclosed: ${stack.join(' > ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}
