/**
 * The namespace bindings in scope at an element: the element's own declarations over its
 * parent's scope, shared rather than copied. Copying the inherited bindings into every
 * element that declares one more let a 400 KB document (thousands of bindings declared
 * high up, then thousands of small elements each declaring one) take gigabytes.
 *
 * @module
 */

/** Prefix → namespace URI ("" for the default namespace), looked up through the ancestors. */
export class NamespaceScope {
  readonly #parent: NamespaceScope | undefined;
  readonly #own: ReadonlyMap<string, string>;
  /**
   * Answers found further up, kept on every scope a lookup passed through, so siblings and
   * descendants asking again stop one step up (`undefined` would mean unbound).
   */
  readonly #found = new Map<string, string | undefined>();

  /**
   * A scope of `own` bindings over `parent`'s.
   *
   * @param parent The enclosing scope (none for the document element's).
   * @param own The bindings declared here.
   */
  constructor(parent: NamespaceScope | undefined, own: ReadonlyMap<string, string>) {
    this.#parent = parent;
    this.#own = own;
  }

  /** The URI bound to `prefix`, or `undefined` when it is not bound. */
  get(prefix: string): string | undefined {
    const passed: NamespaceScope[] = [];
    let uri: string | undefined;
    // deno-lint-ignore no-this-alias -- the walk up the ancestors starts here.
    for (let scope: NamespaceScope | undefined = this; scope; scope = scope.#parent) {
      if (scope.#own.has(prefix)) {
        uri = scope.#own.get(prefix);
        break;
      }
      if (scope.#found.has(prefix)) {
        uri = scope.#found.get(prefix);
        break;
      }
      passed.push(scope);
    }
    for (const scope of passed) scope.#found.set(prefix, uri);
    return uri;
  }

  /** Whether `prefix` is bound. */
  has(prefix: string): boolean {
    return this.get(prefix) !== undefined;
  }

  /** Every prefix bound here, declared here or above, each once. */
  prefixes(): Set<string> {
    const out = new Set<string>();
    // deno-lint-ignore no-this-alias -- the walk up the ancestors starts here.
    for (let scope: NamespaceScope | undefined = this; scope; scope = scope.#parent) {
      for (const prefix of scope.#own.keys()) out.add(prefix);
    }
    return out;
  }
}
