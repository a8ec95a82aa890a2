// Jest runs each test file in its own V8 realm, but Node's fetch (undici) and native addons create their objects
// in the host realm. Libraries then misjudge them: the openai SDK's `err instanceof Error` fails for fetch's
// AbortError, so a timeout looks like a connection error. Errors from the host count as errors here too, and the
// typed arrays are the host's.
const { TestEnvironment } = require('jest-environment-node');

class HostRealmAwareEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    const SandboxError = this.global.Error;
    const plain = Function.prototype[Symbol.hasInstance];
    // onnxruntime-node checks tensor data with `instanceof Float32Array` against the host's constructors.
    for (const name of [
      'Float32Array',
      'Float64Array',
      'Int8Array',
      'Uint8Array',
      'Int16Array',
      'Uint16Array',
      'Int32Array',
      'Uint32Array',
      'BigInt64Array',
      'BigUint64Array',
    ]) {
      this.global[name] = globalThis[name];
    }
    // Subclasses inherit this static method: only `x instanceof Error` itself is widened.
    Object.defineProperty(SandboxError, Symbol.hasInstance, {
      value(value) {
        return plain.call(this, value) || (this === SandboxError && value instanceof Error);
      },
    });
  }
}

module.exports = HostRealmAwareEnvironment;
