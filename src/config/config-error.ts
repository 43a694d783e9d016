/**
 * A setting the engine cannot start with. The CLI prints its message and exits with 2, so the
 * message names the setting and where its value came from.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
