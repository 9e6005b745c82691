// Text from users and apiservers (file names, error messages, live values)
// goes into the status README. Escaped here so it cannot add headings, links,
// HTML or table columns, and so a newline cannot end a list item or a row.

/** One line: newlines, tabs and other control characters become one space. */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
}

/** Plain Markdown text (also safe inside a table cell). */
export function mdText(text: string): string {
  return oneLine(text)
    .replace(/[\\`*_{}[\]()#+\-.!|~>]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;');
}

/**
 * A table cell or summary that stays readable (names keep their hyphens and
 * dots): no line breaks, and no character that could end the cell, start
 * markup or open a tag.
 */
export function mdCell(text: string): string {
  return oneLine(text).replace(/([\\`*_|<>[\]])/g, '\\$1');
}

/** A code block whose fence is longer than any run of backticks in the text, so content can never close it. */
export function mdFence(lang: string, text: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${text.endsWith('\n') ? text : text + '\n'}${fence}`;
}

/**
 * Inline code: fenced with more backticks than the text holds, so a backtick
 * inside cannot end it. Not for table cells (a `|` ends a cell even inside
 * code there): use mdText.
 */
export function mdCode(text: string): string {
  const t = oneLine(text);
  const longest = Math.max(0, ...(t.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = t.startsWith('`') || t.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${t}${pad}${fence}`;
}
