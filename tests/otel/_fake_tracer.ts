/**
 * A tiny in-memory tracer implementing the @opentelemetry/api Tracer and Span interfaces,
 * so the bridge is tested without an SDK.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import {
  type Attributes,
  type AttributeValue,
  type Context,
  context as otelContext,
  type ContextManager,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type TimeInput,
  trace,
  type Tracer,
} from "@opentelemetry/api";

let nextId = 1;

/** One recorded span. */
export class FakeSpan implements Span {
  readonly id = nextId++;
  attributes: Attributes = {};
  events: { name: string; attributes?: Attributes; time?: TimeInput }[] = [];
  status: SpanStatus = { code: 0 };
  endCount = 0;
  endTime: TimeInput | undefined;

  constructor(
    public name: string,
    readonly options: SpanOptions,
    readonly parent: FakeSpan | undefined,
  ) {
    Object.assign(this.attributes, options.attributes);
  }

  spanContext(): SpanContext {
    return {
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: this.id.toString(16).padStart(16, "0"),
      traceFlags: 1,
    };
  }
  setAttribute(key: string, value: AttributeValue): this {
    this.attributes[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    Object.assign(this.attributes, attributes);
    return this;
  }
  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    this.events.push({ name, attributes: attributesOrTime as Attributes, time });
    return this;
  }
  addLink(_link: Link): this {
    return this;
  }
  addLinks(_links: Link[]): this {
    return this;
  }
  setStatus(status: SpanStatus): this {
    this.status = status;
    return this;
  }
  updateName(name: string): this {
    this.name = name;
    return this;
  }
  end(endTime?: TimeInput): void {
    this.endCount++;
    this.endTime = endTime;
  }
  isRecording(): boolean {
    return this.endCount === 0;
  }
  recordException(): void {}
}

/** A tracer that keeps every span it starts. */
export class FakeTracer implements Tracer {
  readonly spans: FakeSpan[] = [];

  startSpan(name: string, options: SpanOptions = {}, context?: Context): FakeSpan {
    const parent = trace.getSpan(context ?? otelContext.active());
    const span = new FakeSpan(name, options, parent instanceof FakeSpan ? parent : undefined);
    this.spans.push(span);
    return span;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    context: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    ...args: unknown[]
  ): ReturnType<F> {
    const fn = args.pop() as F;
    const [options, context] = args as [SpanOptions | undefined, Context | undefined];
    const parent = context ?? otelContext.active();
    const span = this.startSpan(name, options, parent);
    return otelContext.with(trace.setSpan(parent, span), () => fn(span)) as ReturnType<F>;
  }

  /** The spans with this name. */
  named(name: string): FakeSpan[] {
    return this.spans.filter((s) => s.name === name);
  }
}

/** A minimal OpenTelemetry context manager over AsyncLocalStorage (what an SDK would register). */
export class AsyncContextManager implements ContextManager {
  readonly #als = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.#als.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#als.run(context, () => fn.call(thisArg, ...args));
  }
  bind<T>(_context: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.#als.disable();
    return this;
  }
}
