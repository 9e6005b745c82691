// Where a field is in the YAML source: the key of that path, or the closest
// ancestor that exists. Used for errors that point at a field, not a document.
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import type { FieldPath, SourcePos } from '../core/model.js';
import { posAt, type ParsedDoc } from './parse-yaml.js';

export function locateIn(doc: ParsedDoc, path: FieldPath): SourcePos {
  let node: Node | null = doc.node;
  let best = doc.place;
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step));
      if (!pair) break;
      const keyStart = (pair.key as Node).range?.[0];
      if (keyStart !== undefined) best = posAt(doc.lines, doc.file, keyStart);
      node = (pair.value as Node | null) ?? null;
    } else if (isSeq(node) && typeof step === 'number') {
      const item = node.items[step] as Node | undefined;
      if (!item) break;
      if (item.range) best = posAt(doc.lines, doc.file, item.range[0]);
      node = item;
    } else break;
  }
  return best;
}

export function locator(doc: ParsedDoc): (path: FieldPath) => SourcePos {
  return (path) => locateIn(doc, path);
}
