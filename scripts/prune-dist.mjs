// Removes from dist/ what the shipped build no longer makes (outputs of deleted or moved
// sources, unit tests and source maps of older builds), so that a package built in a
// long-lived checkout holds the same files as one built in a fresh clone.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const dist = 'dist';
if (!existsSync(dist)) process.exit(0);
for (const name of readdirSync(dist))
  if (name !== 'src' && name !== '.tsbuildinfo') rmSync(join(dist, name), { recursive: true });

let removed = 0;
function prune(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      prune(path);
      if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
      continue;
    }
    const base = relative(dist, path).replace(/\.(js|d\.ts)(\.map)?$/, '');
    const shipped = !name.endsWith('.map') && !/\.test$/.test(base) && existsSync(`${base}.ts`);
    if (!shipped) {
      rmSync(path);
      removed++;
    }
  }
}
prune(join(dist, 'src'));
// Outputs were deleted behind the compiler's back: it must not trust its incremental state.
if (removed > 0) rmSync(join(dist, '.tsbuildinfo'), { force: true });
