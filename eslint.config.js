import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import kindred from './eslint/module-boundaries.js';

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', 'datasets/**', '.scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // The layers: what each folder may import is the module table of the architecture doc.
    files: ['src/**'],
    plugins: { kindred },
    rules: { 'kindred/module-boundaries': ['error', { table: 'docs/architecture.md' }] },
  },
);
