// Jest runs each test file in its own V8 realm, but Node's fetch (undici) and native addons create their objects
// in the host realm. Libraries then misjudge them: the openai SDK's `err instanceof Error` fails for fetch's
// AbortError, so a timeout looks like a connection error. Errors from the host count as errors here too.
const { TestEnvironment } = require('jest-environment-node');

class HostRealmAwareEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    const SandboxError = this.global.Error;
    const plain = Function.prototype[Symbol.hasInstance];
    // Subclasses inherit this static method: only `x instanceof Error` itself is widened.
    Object.defineProperty(SandboxError, Symbol.hasInstance, {
      value(value) {
        return plain.call(this, value) || (this === SandboxError && value instanceof Error);
      },
    });
  }
}

module.exports = HostRealmAwareEnvironment;
