import { z } from 'zod';
import type { PiiType } from '../guards/types';
import type { PlannedCandidate } from './routing';

/**
 * Data classes and policy routing (docs/governance.md): which of a route's candidates may see a
 * request, from the request's data class and the tenant's residency region against each model's
 * attributes and regions. Decided in the `prepareTask` activity after input screening; the
 * workflow only reads the verdict (candidates marked `skip`, or the whole request denied).
 */

/** From least to most sensitive; a request's class is the most sensitive of those it has. */
export const DATA_CLASSES = ['public', 'internal', 'confidential', 'pii', 'phi', 'pci'] as const;
export type DataClass = (typeof DATA_CLASSES)[number];

/** What a model (in the config's registry) promises about the data it is sent. */
export const MODEL_ATTRIBUTES = ['zero-data-retention', 'hipaa', 'pci'] as const;
export type ModelAttribute = (typeof MODEL_ATTRIBUTES)[number];

/** A region code: `eu`, `us`, `uk`, `ch`… as the operator names them in the config. */
const Region = z
  .string()
  .regex(/^[a-z]{2,10}$/, 'a lower-case region code such as eu or us')
  .describe('A region code.');

/** What a data class requires of a model: attributes, and staying in the tenant's region. */
export const DataRule = z
  .object({
    requires: z.array(z.enum(MODEL_ATTRIBUTES)).max(MODEL_ATTRIBUTES.length).optional(),
    /** Only models in the tenant's residency region (when the tenant has one). */
    residency: z.boolean().optional(),
  })
  .strict();
export type DataRule = z.infer<typeof DataRule>;

/** A model's governance attributes in the registry (`models[].governance`). */
export const ModelGovernance = z
  .object({
    /** Where the vendor processes the data; absent: unknown (fails any residency rule). */
    regions: z.array(Region).max(20).optional(),
    attributes: z.array(z.enum(MODEL_ATTRIBUTES)).max(MODEL_ATTRIBUTES.length).optional(),
  })
  .strict();
export type ModelGovernance = z.infer<typeof ModelGovernance>;

/** The `data` key of a policy (default, tenant, tenant's task): every key optional. */
export const DataPolicyPatch = z
  .object({
    /** The class of every request under this policy, before screening raises it. */
    class: z.enum(DATA_CLASSES).optional(),
    /** The tenant's residency region: rules with `residency` keep data there. */
    residency: Region.optional(),
    /** Replaces the built-in rule of a class. */
    rules: z.partialRecord(z.enum(DATA_CLASSES), DataRule).optional(),
  })
  .strict();
export type DataPolicyPatch = z.infer<typeof DataPolicyPatch>;

export interface DataPolicy {
  class: DataClass;
  residency?: string;
  rules: Record<DataClass, Required<DataRule>>;
}

/** Built-in rules: regulated data needs the matching promise; personal data stays in region. */
export const DEFAULT_DATA_RULES: DataPolicy['rules'] = {
  public: { requires: [], residency: false },
  internal: { requires: [], residency: false },
  confidential: { requires: ['zero-data-retention'], residency: true },
  pii: { requires: [], residency: true },
  phi: { requires: ['hipaa'], residency: true },
  pci: { requires: ['pci'], residency: true },
};

/** One level of `data` over another (policy resolution: built-in ← default ← tenant ← task). */
export function applyDataPatch(base: DataPolicy | undefined, patch: DataPolicyPatch): DataPolicy {
  const from = base ?? { class: 'internal' as const, rules: DEFAULT_DATA_RULES };
  const rules = { ...from.rules };
  for (const [cls, rule] of Object.entries(patch.rules ?? {}) as [DataClass, DataRule][]) {
    rules[cls] = { requires: rule.requires ?? [], residency: rule.residency ?? false };
  }
  const residency = patch.residency ?? from.residency;
  return { class: patch.class ?? from.class, ...(residency ? { residency } : {}), rules };
}

/** PII types whose presence in what a model is sent makes a request `pci`; any other: `pii`. */
const PCI_TYPES: ReadonlySet<string> = new Set<PiiType>(['credit-card']);
/**
 * Health data: these make a request `phi` when screening finds them, redacted or not. Hiding a
 * medical record number hides the number, not that the request is about a patient's care: the
 * rest of it (the complaint, the name Keel flags but does not redact) still goes out. A
 * condition told as narrative ("my daughter's insulin pump") is health data without any id. Prescriber
 * ids (NPI, DEA) are not here: they name a practitioner, are public, and come up in a practice's
 * ordinary billing tickets; like other ids they are `pii` when sent in clear.
 */
export const PHI_TYPES: ReadonlySet<string> = new Set<PiiType>([
  'medical-record',
  'health-plan-id',
  'diagnosis-code',
  'health-condition',
]);

export interface DataDecision {
  /** The most sensitive of `classes`. */
  dataClass: DataClass;
  classes: DataClass[];
  declared: DataClass;
  /**
   * The types screening found that raise the class: PII a model would be sent in clear (found
   * and not redacted), and health data (found at all). Types only.
   */
  detected: string[];
  residency?: string;
  /** Candidates the policy skipped, each with the rule it broke. */
  skipped: Array<{ candidate: string; rule: string }>;
  /** Set when no candidate of the route may see the request: it is refused before any call. */
  denied?: { rule: string };
}

/** How a candidate's model stands against the rules. */
export interface CandidateFacts {
  /** The built-in in-process model: nothing leaves the process, every rule holds. */
  inProcess: boolean;
  governance?: ModelGovernance;
}

/**
 * The request's classes (declared, and raised by the PII a model would be sent in clear or by
 * the health data screening found), and for each candidate the first rule it breaks. A
 * candidate already skipped (an open circuit) keeps its reason; when no candidate is left only
 * because of the policy, `denied` names the rule the first candidate broke.
 */
export function decideDataPolicy(args: {
  policy: DataPolicy;
  candidates: readonly PlannedCandidate[];
  factsOf: (c: PlannedCandidate) => CandidateFacts;
  /** PII types found in the input, and those the screening redacted before any model sees it. */
  pii: { found: readonly string[]; redacted: readonly string[] };
}): { candidates: PlannedCandidate[]; decision: DataDecision } {
  const { policy } = args;
  const redacted = new Set(args.pii.redacted);
  const raising = args.pii.found.filter((t) => PHI_TYPES.has(t) || !redacted.has(t));
  const detected = [...new Set(raising)].sort();
  const classes = new Set<DataClass>([policy.class]);
  for (const t of detected) classes.add(classOf(t));
  const ordered = DATA_CLASSES.filter((c) => classes.has(c));
  const dataClass = ordered[ordered.length - 1]!;
  const skipped: DataDecision['skipped'] = [];
  const candidates = args.candidates.map((c) => {
    const broken = brokenRule(ordered, policy, args.factsOf(c));
    if (!broken) return c;
    skipped.push({ candidate: `${c.provider}:${c.model}`, rule: broken });
    return c.skip ? c : { ...c, skip: `policy: ${broken}`, skipCode: 'data-policy' as const };
  });
  const live = candidates.filter((c) => !c.skip);
  const deniedByPolicy = live.length === 0 && skipped.length > 0;
  return {
    candidates,
    decision: {
      dataClass,
      classes: ordered,
      declared: policy.class,
      detected,
      ...(policy.residency ? { residency: policy.residency } : {}),
      skipped,
      ...(deniedByPolicy ? { denied: { rule: skipped[0]!.rule } } : {}),
    },
  };
}

function classOf(type: string): DataClass {
  if (PHI_TYPES.has(type)) return 'phi';
  return PCI_TYPES.has(type) ? 'pci' : 'pii';
}

function brokenRule(
  classes: readonly DataClass[],
  policy: DataPolicy,
  facts: CandidateFacts,
): string | undefined {
  if (facts.inProcess) return undefined;
  const attributes = new Set(facts.governance?.attributes ?? []);
  const regions = facts.governance?.regions ?? [];
  // The most sensitive class first: its rule is the one named.
  for (const cls of [...classes].reverse()) {
    const rule = policy.rules[cls];
    const missing = rule.requires.filter((a) => !attributes.has(a));
    if (missing.length > 0) return `${cls} data needs a model with ${missing.join(', ')}`;
    if (rule.residency && policy.residency && !regions.includes(policy.residency)) {
      return `${cls} data stays in ${policy.residency}; the model is in ${regions.length ? regions.join(', ') : 'an unknown region'}`;
    }
  }
  return undefined;
}
