/**
 * An `answer` request of about `bytes` bytes of JSON (20 documents at most, 50,000 characters
 * each: the task's own limits), each document unique, with a `marker` a test can look for in
 * what Temporal and the blob store keep.
 */
export function bigAnswerRequest(marker: string, bytes = 960_000): unknown {
  const documents = 20;
  const per = Math.min(49_000, Math.floor(bytes / documents));
  // Seeded filler words: text a compressor cannot shrink much, as real documents are.
  let seed = 0x9e3779b9;
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const syllables = [
    'ka',
    'lo',
    'mi',
    'ter',
    'van',
    'sul',
    'dre',
    'po',
    'nix',
    'qua',
    'bel',
    'ros',
  ];
  const word = (): string =>
    Array.from(
      { length: 1 + Math.floor(random() * 3) },
      () => syllables[Math.floor(random() * syllables.length)],
    ).join('');
  return {
    input: {
      question: 'How long does the warranty cover parts?',
      documents: Array.from({ length: documents }, (_, d) => {
        let text = `${d === 0 ? `${marker}. ` : ''}The warranty for product line ${d} covers parts for two years. `;
        while (text.length < per) text += `${word()} `;
        return { id: `doc-${d}`, text: text.slice(0, per) };
      }),
    },
  };
}

/** Bytes of every payload in a history as Temporal stores it (no codec applied). */
export function historyPayloadBytes(history: unknown): { payloads: number; bytes: number } {
  let payloads = 0;
  let bytes = 0;
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
      const v = value as { metadata?: unknown; data?: unknown };
      if (v.metadata && v.data instanceof Uint8Array) {
        payloads++;
        bytes += v.data.byteLength;
      }
      Object.values(value).forEach(walk);
    }
  };
  walk(history);
  return { payloads, bytes };
}
