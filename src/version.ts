/** bencalc's version, written into every batch output row for provenance. Keep in step with package.json (a test checks). */
export const VERSION = '0.1.0';
