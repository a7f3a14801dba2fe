/**
 * One ConversionReview in, one out: converts every object of the request to the desired version
 * through the hub, keeps apiVersion, kind and metadata right, and answers a clear Failure (which
 * the API server shows to the client) for a version the conversion does not know. No I/O.
 */
import type { KubeObject } from "../core/kube-object.js";
import type { ConversionOptions } from "./definitions.js";
import { BadReviewError } from "./admission-review.js";

/** The `response` of a ConversionReview. */
export interface ConversionResponse {
  uid: string;
  convertedObjects?: KubeObject[];
  result: { status: "Success" } | { status: "Failure"; message: string };
}

/** The outcome of one review: the body to send and what to count. */
export interface ConversionOutcome {
  readonly review: { apiVersion: string; kind: "ConversionReview"; response: ConversionResponse };
  /** 200 converted, 400 an unknown version or kind, 500 a conversion function threw. */
  readonly code: number;
  readonly error?: unknown;
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

function versionOf(apiVersion: string): string {
  return apiVersion.slice(apiVersion.indexOf("/") + 1);
}

/** A conversion failure the client should see as is (unknown version or kind). */
class UnconvertibleError extends Error {}

/** Converts one object to `desiredApiVersion` through the hub. Pure apart from the user's functions. */
export function convertObject(obj: KubeObject, desiredApiVersion: string, conversion: ConversionOptions, hubKind: string): KubeObject {
  const from = versionOf(obj.apiVersion ?? "");
  const to = versionOf(desiredApiVersion);
  const known = [conversion.hub, ...Object.keys(conversion.spokes)];
  for (const version of [from, to]) {
    if (!known.includes(version)) {
      throw new UnconvertibleError(
        `cannot convert ${obj.kind ?? hubKind} ${obj.metadata?.name ?? ""} from ${obj.apiVersion} to ${desiredApiVersion}: ` +
          `version ${version} is not known to this conversion (it converts ${known.join(", ")} through the hub ${conversion.hub})`,
      );
    }
  }
  if (from === to) return { ...structuredClone(obj), apiVersion: desiredApiVersion };
  const hubObject = from === conversion.hub ? structuredClone(obj) : conversion.spokes[from]!.toHub(structuredClone(obj));
  const hubTyped = { ...hubObject, apiVersion: `${groupOf(desiredApiVersion)}/${conversion.hub}`, kind: obj.kind, metadata: obj.metadata };
  const converted = to === conversion.hub ? hubTyped : conversion.spokes[to]!.fromHub(structuredClone(hubTyped));
  // The API server refuses any change of metadata but labels and annotations: keep the input's.
  const metadata = {
    ...obj.metadata,
    labels: converted.metadata?.labels ?? obj.metadata?.labels,
    annotations: converted.metadata?.annotations ?? obj.metadata?.annotations,
  };
  if (metadata.labels === undefined) delete metadata.labels;
  if (metadata.annotations === undefined) delete metadata.annotations;
  return { ...converted, apiVersion: desiredApiVersion, kind: obj.kind, metadata };
}

/** The ConversionReview's request; throws `BadReviewError` when the body is not one. */
function conversionRequestOf(body: unknown): { apiVersion: string; uid: string; desiredAPIVersion: string; objects: KubeObject[] } {
  const review = body as {
    apiVersion?: unknown;
    kind?: unknown;
    request?: { uid?: unknown; desiredAPIVersion?: unknown; objects?: unknown };
  } | null;
  if (!review || typeof review !== "object" || review.kind !== "ConversionReview") throw new BadReviewError("expected a ConversionReview");
  const r = review.request;
  if (!r || typeof r.uid !== "string" || typeof r.desiredAPIVersion !== "string" || !Array.isArray(r.objects)) {
    throw new BadReviewError("ConversionReview without request.uid, request.desiredAPIVersion and request.objects");
  }
  const apiVersion = typeof review.apiVersion === "string" ? review.apiVersion : "apiextensions.k8s.io/v1";
  return { apiVersion, uid: r.uid, desiredAPIVersion: r.desiredAPIVersion, objects: r.objects as KubeObject[] };
}

/**
 * Answers one ConversionReview body. `conversions` are keyed by `<group>/<Kind>`; every object is
 * converted (all or nothing). Never throws except `BadReviewError`.
 */
export function reviewConversion(body: unknown, conversions: ReadonlyMap<string, ConversionOptions>): ConversionOutcome {
  const request = conversionRequestOf(body);
  const answer = (response: Omit<ConversionResponse, "uid">, code: number, error?: unknown): ConversionOutcome => ({
    review: { apiVersion: request.apiVersion, kind: "ConversionReview", response: { uid: request.uid, ...response } },
    code,
    ...(error !== undefined ? { error } : {}),
  });
  try {
    const convertedObjects = request.objects.map((obj) => {
      const key = `${groupOf(obj.apiVersion ?? "")}/${obj.kind}`;
      const conversion = conversions.get(key);
      if (!conversion) throw new UnconvertibleError(`no conversion is declared for ${obj.kind} in group ${groupOf(obj.apiVersion ?? "")}`);
      return convertObject(obj, request.desiredAPIVersion, conversion, obj.kind ?? "");
    });
    return answer({ convertedObjects, result: { status: "Success" } }, 200);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof UnconvertibleError) return answer({ result: { status: "Failure", message } }, 400);
    return answer({ result: { status: "Failure", message: `conversion failed: ${message}` } }, 500, error);
  }
}
