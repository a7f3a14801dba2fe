import "reflect-metadata";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { container } from "tsyringe";
import { V1ConfigMap, V1Namespace, V1ObjectMeta, V1Pod, V1Service, V1StorageClass } from "@kubernetes/client-node";
import {
  ChildConfig,
  DEFAULT_BACKOFF,
  Finalize,
  FinalizeResponse,
  K8sType,
  KubernetesType,
  Operator,
  OperatorConfig,
  OperatorDefinitionError,
  Sync,
  SyncResponse,
  UnknownTypeError,
  UpdateStrategy,
  compileOperator,
  createSyncRequest,
  defineOperator,
  isOperatorClass,
  isOperatorInput,
  kubernetesTypeOf,
  resolveTypeRef,
  type SyncRequest,
} from "../../../src/api/index.js";
import { K8sTypes, TypeRegistry } from "../../../src/registry/index.js";
import { tsyringeResolver } from "../../../src/di/resolver.js";

@KubernetesType({ apiVersion: "example.com/v1", kind: "EchoServer", plural: "echoservers", namespaced: true })
class EchoServer {
  metadata!: V1ObjectMeta;
  spec!: { message: string };
}

@KubernetesType({ apiVersion: "example.com/v1", kind: "TempNamespace", namespaced: false })
class TempNamespace {
  metadata!: V1ObjectMeta;
}

class ImageCatalog {
  image(): string {
    return "hashicorp/http-echo:1.0";
  }
}

@Operator({
  name: "echo-server",
  parent: EchoServer,
  children: [{ type: V1Pod, update: UpdateStrategy.Recreate }, { type: V1Service }],
  namespace: "demo",
  concurrency: 4,
  handlerTimeoutMs: 5000,
  resyncPeriodMs: 60_000,
})
class EchoServerOperator {
  constructor(readonly images: ImageCatalog) {}

  @Sync()
  sync(req: SyncRequest<EchoServer>): SyncResponse {
    return SyncResponse.of({ message: req.parent.spec.message, image: this.images.image() });
  }

  @Finalize()
  async finalize(): Promise<FinalizeResponse> {
    return FinalizeResponse.done();
  }
}

describe("K8sType and type references", () => {
  it("derives group and version, compares by apiVersion/kind", () => {
    const d = K8sType.of("apps/v1", "Deployment");
    assert.equal(d.group, "apps");
    assert.equal(d.version, "v1");
    assert.equal(K8sType.of("v1", "Pod").group, "");
    assert.equal(d.key, "apps/v1/Deployment");
    assert.equal(d.isResolved, false);
    const r = d.withDetails({ plural: "deployments", namespaced: true });
    assert.ok(r.isResolved && r.equals(d));
    assert.equal(String(r), "apps/v1 Deployment");
    assert.ok(Object.isFrozen(d));
  });

  it("rejects malformed apiVersion/kind with the fix", () => {
    assert.throws(() => K8sType.of("apps/v1/x", "Deployment"), /use "v1" for the core group/);
    assert.throws(() => K8sType.of("", "Pod"), /invalid apiVersion/);
    assert.throws(() => K8sType.of("v1", "pod-x"), /CamelCase kind/);
  });

  it("resolves classes, K8sTypes and { apiVersion, kind }", () => {
    assert.deepEqual(resolveTypeRef(V1Pod), { type: K8sTypes.Pod, cls: V1Pod });
    assert.equal(resolveTypeRef(EchoServer).type.plural, "echoservers");
    assert.equal(kubernetesTypeOf(EchoServer)?.kind, "EchoServer");
    assert.equal(resolveTypeRef({ apiVersion: "x.io/v1", kind: "Y" }).type.key, "x.io/v1/Y");
    class Plain {}
    assert.throws(
      () => resolveTypeRef(Plain),
      (e: unknown) => e instanceof UnknownTypeError && /@KubernetesType/.test(e.message),
    );
    // a client-node model outside the built-in table: says how to register it
    assert.doesNotThrow(() => resolveTypeRef(V1StorageClass));
    class V9Odd {
      static getAttributeTypeMap() {
        return [];
      }
    }
    assert.throws(() => resolveTypeRef(V9Odd), /registry\.register/);
  });

  it("@KubernetesType rejects a bad apiVersion at decoration time", () => {
    assert.throws(() => KubernetesType({ apiVersion: "Example.com/v1", kind: "X" }), /invalid apiVersion/);
  });
});

describe("OperatorConfig builder", () => {
  it("has the documented defaults", () => {
    const c = new OperatorConfig("echo-server", EchoServer);
    assert.equal(c.parent.key, "example.com/v1/EchoServer");
    assert.equal(c.parentClass, EchoServer);
    assert.equal(c.fieldManager, "echo-server");
    assert.equal(c.finalizerName, "tsoperator.dev/echo-server");
    assert.equal(c.finalizeEnabled, false);
    assert.equal(c.handlerTimeoutMs, 60_000);
    assert.equal(c.concurrency, 8);
    assert.equal(c.resyncPeriodMs, undefined);
    assert.deepEqual(c.backoff, DEFAULT_BACKOFF);
    assert.deepEqual(c.children, []);
    assert.doesNotThrow(() => c.validate());
  });

  it("is immutable: with* returns a new config", () => {
    const a = new OperatorConfig("op", EchoServer);
    const b = a
      .withChild(V1Pod, ChildConfig.recreate())
      .withinNamespace("ns")
      .withHandlerTimeout(10)
      .withConcurrency(2)
      .withResyncPeriod(1000)
      .withBackoff({ initialDelayMs: 100 })
      .withFinalizer(true, "example.com/cleanup")
      .withFieldManager("mgr");
    assert.equal(a.children.length, 0);
    assert.equal(a.namespace, undefined);
    assert.deepEqual(b.children, [{ type: K8sTypes.Pod, cls: V1Pod, updateStrategy: UpdateStrategy.Recreate }]);
    assert.equal(b.childType("v1", "Pod")?.updateStrategy, UpdateStrategy.Recreate);
    assert.equal(b.namespace, "ns");
    assert.equal(b.handlerTimeoutMs, 10);
    assert.equal(b.concurrency, 2);
    assert.equal(b.resyncPeriodMs, 1000);
    assert.deepEqual(b.backoff, { ...DEFAULT_BACKOFF, initialDelayMs: 100 });
    assert.equal(b.finalizerName, "example.com/cleanup");
    assert.equal(b.finalizeEnabled, true);
    assert.equal(b.fieldManager, "mgr");
    assert.ok(Object.isFrozen(b));
    assert.ok(b instanceof OperatorConfig);
  });

  it("ChildConfig factories", () => {
    assert.equal(ChildConfig.apply().updateStrategy, UpdateStrategy.Apply);
    assert.equal(ChildConfig.replace().updateStrategy, UpdateStrategy.Replace);
    assert.equal(ChildConfig.recreate().updateStrategy, UpdateStrategy.Recreate);
    assert.equal(ChildConfig.onDelete().updateStrategy, UpdateStrategy.OnDelete);
    assert.equal(new OperatorConfig("op", EchoServer).withChild(V1Pod).children[0]!.updateStrategy, UpdateStrategy.Apply);
    assert.throws(() => ChildConfig.of("Patch" as UpdateStrategy), /use one of Apply, Replace, Recreate, OnDelete/);
  });

  it("adoption is opt-in per child type: ChildConfig.adopting(), ChildConfig.of(..., { adopt }), the decorator's adopt", () => {
    assert.equal(ChildConfig.apply().adopt, false);
    assert.equal(ChildConfig.onDelete().adopting().adopt, true);
    assert.equal(ChildConfig.onDelete().adopting().updateStrategy, UpdateStrategy.OnDelete);
    assert.equal(ChildConfig.of(UpdateStrategy.Replace, { adopt: true }).adopt, true);
    assert.throws(() => ChildConfig.of(UpdateStrategy.Apply, { adopt: "yes" as never }), /adopt must be true or false/);
    assert.equal(new OperatorConfig("op", EchoServer).withChild(V1Pod, ChildConfig.recreate().adopting()).children[0]!.adopt, true);
    assert.equal(new OperatorConfig("op", EchoServer).withChild(V1Pod).children[0]!.adopt, undefined);

    @Operator({ name: "adopter", parent: EchoServer, children: [{ type: V1ConfigMap, adopt: true }, { type: V1Pod }] })
    class Adopter {
      @Sync()
      sync(): SyncResponse {
        return SyncResponse.of();
      }
    }
    const [configMap, pod] = compileOperator(Adopter).config.children;
    assert.equal(configMap!.adopt, true);
    assert.equal(pod!.adopt, undefined);
  });

  const invalid: [string, () => OperatorConfig, RegExp][] = [
    ["a name that is not a DNS-1123 label", () => new OperatorConfig("Echo_Server", EchoServer), /must be a DNS-1123 label/],
    [
      "a child type listed twice",
      () => new OperatorConfig("op", EchoServer).withChild(V1Pod).withChild(K8sTypes.Pod, ChildConfig.replace()),
      /v1 Pod is listed twice/,
    ],
    [
      "a cluster-scoped child of a namespaced parent",
      () => new OperatorConfig("op", EchoServer).withChild(V1Namespace),
      /cluster-scoped but the parent .* is namespaced/,
    ],
    ["the parent type as a child", () => new OperatorConfig("op", EchoServer).withChild(EchoServer), /both the parent and a child/],
    [
      "a finalizer name without a domain",
      () => new OperatorConfig("op", EchoServer).withFinalizer(true, "cleanup"),
      /must be domain-qualified/,
    ],
    [
      "a finalizer prefix without a dot",
      () => new OperatorConfig("op", EchoServer).withFinalizer(true, "local/cleanup"),
      /must be domain-qualified/,
    ],
    ["an invalid namespace", () => new OperatorConfig("op", EchoServer).withinNamespace("Bad NS"), /invalid namespace/],
    [
      "a namespace for a cluster-scoped parent",
      () => new OperatorConfig("op", TempNamespace).withinNamespace("ns"),
      /parent .* is cluster-scoped: remove the namespace/,
    ],
    ["a zero handler timeout", () => new OperatorConfig("op", EchoServer).withHandlerTimeout(0), /handlerTimeoutMs must be a positive/],
    ["a fractional concurrency", () => new OperatorConfig("op", EchoServer).withConcurrency(1.5), /concurrency must be a whole number/],
    ["a negative resync period", () => new OperatorConfig("op", EchoServer).withResyncPeriod(-1), /resyncPeriodMs must be a positive/],
    ["an empty field manager", () => new OperatorConfig("op", EchoServer).withFieldManager(""), /fieldManager must be 1 to 128/],
    ["a shrinking backoff", () => new OperatorConfig("op", EchoServer).withBackoff({ multiplier: 0.5 }), /multiplier must be >= 1/],
  ];
  for (const [what, make, message] of invalid) {
    it(`validate() rejects ${what}`, () => {
      assert.throws(
        () => make().validate(),
        (e: unknown) => e instanceof OperatorDefinitionError && message.test(e.message),
      );
    });
  }

  it("validate() lists every problem at once", () => {
    const c = new OperatorConfig("BAD", EchoServer).withChild(V1Pod).withChild(V1Pod).withConcurrency(0);
    assert.throws(
      () => c.validate(),
      (e: unknown) => e instanceof OperatorDefinitionError && e.problems.length === 3 && /has 3 problems/.test(e.message),
    );
  });

  it("a cluster-scoped parent may own namespaced and cluster-scoped children", () => {
    assert.doesNotThrow(() =>
      new OperatorConfig("temp-ns", TempNamespace).withChild(V1Namespace, ChildConfig.onDelete()).withChild(V1ConfigMap).validate(),
    );
  });

  it("an unknown class is rejected as soon as it is named", () => {
    class NotAType {}
    assert.throws(() => new OperatorConfig("op", NotAType), UnknownTypeError);
    assert.throws(() => new OperatorConfig("op", EchoServer).withChild(NotAType), UnknownTypeError);
  });
});

describe("@Operator / @Sync / @Finalize", () => {
  it("compile to the same OperatorConfig as the builder", () => {
    const compiled = compileOperator(EchoServerOperator);
    const built = new OperatorConfig("echo-server", EchoServer)
      .withChild(V1Pod, ChildConfig.recreate())
      .withChild(V1Service)
      .withinNamespace("demo")
      .withConcurrency(4)
      .withHandlerTimeout(5000)
      .withResyncPeriod(60_000)
      .withFinalizer();
    assert.deepEqual(compiled.config, built);
    assert.equal(compiled.config.finalizeEnabled, true);
    assert.equal(compiled.operatorClass, EchoServerOperator);
    assert.ok(isOperatorClass(EchoServerOperator));
    assert.equal(isOperatorClass(EchoServer), false);
  });

  it("the handler factory resolves the class through DI and normalizes results", async () => {
    const child = container.createChildContainer();
    const { handlerFactory } = compileOperator<EchoServer>(EchoServerOperator);
    const handler = await handlerFactory(tsyringeResolver(child));
    const registry = new TypeRegistry();
    const req = createSyncRequest<EchoServer>({
      parent: { apiVersion: "example.com/v1", kind: "EchoServer", metadata: { name: "e", namespace: "demo" }, spec: { message: "hi" } },
      children: [],
      registry,
    });
    const response = await handler.sync(req);
    assert.ok(response instanceof SyncResponse);
    assert.deepEqual(response.status, { message: "hi", image: "hashicorp/http-echo:1.0" });
    const done = await handler.finalize!(req);
    assert.ok(done instanceof FinalizeResponse && done.done);
  });

  it("decorators record nothing global: two classes, two configs", () => {
    @Operator({ name: "a", parent: EchoServer })
    class A {
      @Sync() s() {
        return SyncResponse.of();
      }
    }
    @Operator({ name: "b", parent: TempNamespace, children: [{ type: V1Namespace, update: UpdateStrategy.OnDelete }] })
    class B {
      @Sync() s() {
        return SyncResponse.of();
      }
    }
    assert.equal(compileOperator(A).config.name, "a");
    assert.equal(compileOperator(A).config.finalizeEnabled, false);
    assert.equal(compileOperator(B).config.children[0]!.updateStrategy, UpdateStrategy.OnDelete);
  });

  it("a subclass inherits @Operator and handler methods", () => {
    class Sub extends EchoServerOperator {}
    const c = compileOperator(Sub);
    assert.equal(c.config.name, "echo-server");
    assert.equal(c.config.finalizeEnabled, true);
  });

  it("a class without @Operator gets a fix", () => {
    class Bare {
      @Sync() s() {
        return SyncResponse.of();
      }
    }
    assert.throws(
      () => compileOperator(Bare),
      (e: unknown) => e instanceof OperatorDefinitionError && /add @Operator\(\{ name, parent, children \}\)/.test(e.message),
    );
  });

  it("a class without @Sync gets a fix", () => {
    @Operator({ name: "no-sync", parent: EchoServer })
    class NoSync {
      run() {
        return SyncResponse.of();
      }
    }
    assert.throws(
      () => compileOperator(NoSync),
      (e: unknown) => e instanceof OperatorDefinitionError && /has no @Sync\(\) method/.test(e.message),
    );
  });

  it("two @Sync methods, a static one, bad options and types are all reported together", () => {
    class Unknown {}
    @Operator({
      name: "Bad Name",
      parent: EchoServer,
      children: [{ type: Unknown }, { type: V1Pod }, { type: V1Pod }],
      finalizerName: "x.io/f",
    })
    class Messy {
      @Sync() a() {
        return SyncResponse.of();
      }
      @Sync() b() {
        return SyncResponse.of();
      }
      @Finalize() static f() {
        return FinalizeResponse.done();
      }
    }
    assert.throws(
      () => compileOperator(Messy),
      (e: unknown) => {
        assert.ok(e instanceof OperatorDefinitionError);
        const text = e.problems.join("\n");
        assert.match(text, /has 2 @Sync\(\) methods \(a, b\): keep exactly one/);
        assert.match(text, /static method f/);
        assert.match(text, /children\[0\]: class Unknown is not a Kubernetes type/);
        assert.match(text, /DNS-1123 label/);
        assert.match(text, /listed twice/);
        return true;
      },
    );
  });

  it("finalizerName without @Finalize is reported", () => {
    @Operator({ name: "nf", parent: EchoServer, finalizerName: "example.com/x" })
    class NoFinalize {
      @Sync() s() {
        return SyncResponse.of();
      }
    }
    assert.throws(() => compileOperator(NoFinalize), /no method has @Finalize/);
  });
});

describe("defineOperator (no decorators)", () => {
  const base = new OperatorConfig("plain", EchoServer).withChild(V1Pod);

  it("a sync function: no finalizer", async () => {
    const op = defineOperator(base, () => SyncResponse.of({ ok: true }));
    assert.equal(op.config.finalizeEnabled, false);
    const h = await compileOperator(op).handlerFactory(tsyringeResolver());
    assert.equal(h.finalize, undefined);
  });

  it("a handler object with finalize enables the finalizer", async () => {
    const op = defineOperator(base, { sync: () => SyncResponse.of(), finalize: () => FinalizeResponse.done() });
    assert.equal(op.config.finalizeEnabled, true);
    assert.equal(base.finalizeEnabled, false);
  });

  it("its result, and a literal { config, handler }, compile like a decorated class (one value for every entry point)", async () => {
    const defined = defineOperator(base, { sync: () => SyncResponse.of({ n: 1 }), finalize: () => FinalizeResponse.done() });
    assert.ok(isOperatorInput(defined));
    const compiled = compileOperator(defined);
    assert.equal(compiled.config.name, "plain");
    assert.equal(compiled.config.finalizeEnabled, true);
    const h = await compiled.handlerFactory(tsyringeResolver());
    assert.ok((await h.sync({} as never)) instanceof SyncResponse);
    assert.ok((await h.finalize!({} as never)) instanceof FinalizeResponse);

    const literal = compileOperator({ config: base, handler: () => SyncResponse.of() });
    assert.equal(literal.config.finalizeEnabled, false);
    assert.throws(
      () => compileOperator({ config: base } as never),
      /is not an operator: pass a class decorated with @Operator, or defineOperator/,
    );
    assert.throws(() => compileOperator({ config: base, handler: {} } as never), /sync\(req\) method/);
  });

  it("withFinalizer() without finalize is refused, as is an invalid config or handler", () => {
    assert.throws(() => defineOperator(base.withFinalizer(), () => SyncResponse.of()), /never be removed/);
    assert.throws(() => defineOperator(new OperatorConfig("X", EchoServer), () => SyncResponse.of()), OperatorDefinitionError);
    assert.throws(() => defineOperator(base, {} as never), /sync\(req\) method/);
  });
});
