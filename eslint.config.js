// Lint config: typescript-eslint's recommended rules, plus the project's one hard rule
// that rule text is data: no eval or Function constructor anywhere in src/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // The import directions of ../shared/architecture.md: nothing imports upward. Each folder
  // lists the folders it may not import (`cli` may import anything).
  ...layer('src/batch', ['cli', 'cases'], 'batch/ (the fast path) is used by commands; it does not import them'),
  ...layer('src/planner', ['cli', 'cases'], 'the planner (compare, arrears, report) runs on batch, the engine and the rules; commands use it, never the reverse'),
  ...layer('src/cases', ['cli', 'batch'], 'the rule-case runner uses the plain engine, not the fast path or commands'),
  ...layer('src/engine', ['cli', 'cases', 'batch', 'io'], 'the engine is the plain reference: the fast path (batch/) uses it, never the reverse; bytes are io\'s'),
  ...layer('src/rules', ['cli', 'cases', 'batch', 'engine', 'io'], 'rules load, merge and resolve; running them is the engine\'s (and the case runner\'s)'),
  ...layer('src/io', ['cli', 'cases', 'batch', 'engine', 'rules'], 'io turns bytes into records and back, and knows nothing of the engine or the rules'),
  ...layer('src/domain', ['cli', 'cases', 'batch', 'engine', 'rules', 'io'], 'domain values stand alone'),
  ...layer('src/expr', ['cli', 'cases', 'batch', 'engine', 'rules', 'io', 'domain'], 'expressions know only their schema'),
  {
    // A long file says why in its head comment: `/* eslint-disable max-lines -- <reason> */`.
    files: ['src/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 400 }] },
  },
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setImmediate: 'readonly' } },
    rules: {
      'no-eval': 'error',
      'no-new-func': 'error',
      'no-implied-eval': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);

/** Rules for the files of `folder`: an import of any of `forbidden` (sibling folders of src/) is an error. */
function layer(folder, forbidden, why) {
  return [
    {
      files: [`${folder}/**/*.ts`],
      rules: {
        'no-restricted-imports': ['error', { patterns: [{ group: forbidden.map((f) => `../${f}/*`), message: why }] }],
      },
    },
  ];
}
