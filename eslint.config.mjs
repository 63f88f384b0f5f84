// Typed lint rules that catch the bugs concurrency code is prone to: promises left floating or
// passed where a callback is expected, and switches that forget a case.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'k6/**', 'observability/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // The browser console: DOM and TSX, type-checked by its own tsconfig (Nest's build never sees it).
    files: ['src/console/**/*.ts', 'src/console/**/*.tsx'],
    languageOptions: {
      parserOptions: { project: './src/console/tsconfig.spec.json', tsconfigRootDir: import.meta.dirname },
    },
  },
);
