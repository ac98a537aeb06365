// The layering rules (npm run lint:layers; .ci/run). docs/ARCHITECTURE.md ("Layers") says why.
// Type-only imports count (tsPreCompilationDeps): a core that names a plugin's type still
// depends on it.
/* global module */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'An import cycle anywhere in src/ or transforms/ (start-up order bugs, and no part can be understood alone).',
      from: { path: '^(src|transforms)/' },
      to: { circular: true },
    },
    {
      name: 'core-names-no-plugin',
      severity: 'error',
      comment: 'src/core is the delivery machinery: it gets plugins as a Registry and a validated config from its caller, and imports no plugin, config loader, CLI, composition module or simulator.',
      from: { path: '^src/core/' },
      to: { path: '^(src/(sources|sinks|config|cli|app|simulator)/|transforms/)' },
    },
    {
      name: 'sources-do-not-import-sinks',
      severity: 'error',
      from: { path: '^src/sources/' },
      to: { path: '^src/sinks/' },
    },
    {
      name: 'sinks-do-not-import-sources',
      severity: 'error',
      from: { path: '^src/sinks/' },
      to: { path: '^src/sources/' },
    },
    {
      name: 'simulator-is-not-product',
      severity: 'error',
      comment: 'The Zendesk simulator is for demo, tests and benchmarks; the core, sources and sinks never run it.',
      from: { path: '^src/(core|sources|sinks)/' },
      to: { path: '^src/simulator/' },
    },
    {
      name: 'plugin-lists-only-at-the-edge',
      severity: 'error',
      comment: 'Only the composition module (src/app) reads the plugin lists; everything else is handed a Registry.',
      from: { path: '^(src|transforms)/', pathNot: '^src/app/' },
      to: { path: '^(src/sources/index|src/sinks/index|transforms/index)\\.ts$' },
    },
    {
      name: 'product-does-not-import-tests',
      severity: 'error',
      from: { path: '^(src|transforms)/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'every-import-resolves',
      severity: 'error',
      comment: 'An import the checker cannot resolve would escape every rule above.',
      from: { path: '^(src|transforms)/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
