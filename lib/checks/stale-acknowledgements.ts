import {
  type CfnResource,
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
  type PolicyViolation,
  Validations,
} from 'aws-cdk-lib';
import type { NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** An acknowledgement written on a construct (`Validations.of(construct).acknowledge(...)`). */
export interface Acknowledgement {
  /** Path of the construct that carries it. */
  readonly path: string;
  /** Rule id as cdk-nag matches it: `AwsSolutions-IAM5[Resource::*]`. */
  readonly id: string;
  readonly reason: string;
}

/** Every acknowledgement written on `scope` or below it. */
export function acknowledgementsIn(scope: IConstruct): Acknowledgement[] {
  return scope.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && m.data)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string | { reason?: string }>).map(([key, value]) => ({
          path: c.node.path,
          // aws-cdk-lib writes `Annotation::<id>` (older releases `annotation::`); cdk-nag strips it too.
          id: key.replace(/^annotation::/i, ''),
          reason: typeof value === 'string' ? value : (value?.reason ?? ''),
        })),
      ),
  );
}

/** A rule that fired on a resource, acknowledged or not. */
export interface Firing {
  readonly path: string;
  readonly ruleId: string;
}

interface PackInternals {
  isAcknowledged(resource: CfnResource, ruleId: string): boolean;
}

/**
 * Runs `pack` on `scope` and returns its report together with every rule id that fired on each
 * resource *before* acknowledgements were applied. cdk-nag 3.0.2 asks its (private)
 * `isAcknowledged(resource, ruleId)` exactly once for each finding, acknowledged or not; this
 * listens to that call on the instance for the duration of the run.
 */
export function runRecordingFindings(
  pack: NagPack,
  scope: IConstruct,
  validateScope: (scope: IConstruct) => PolicyValidationPluginReport = (s) => pack.validateScope(s),
): { report: PolicyValidationPluginReport; fired: Firing[] } {
  const internals = pack as unknown as PackInternals;
  const isAcknowledged = internals.isAcknowledged;
  if (typeof isAcknowledged !== 'function') {
    throw new Error(
      `cdk-nag's NagPack no longer has isAcknowledged(resource, ruleId): the stale-acknowledgement check (lib/checks/stale-acknowledgements.ts) ` +
        `must be adapted to this cdk-nag version`,
    );
  }
  const fired: Firing[] = [];
  internals.isAcknowledged = function (this: NagPack, resource: CfnResource, ruleId: string) {
    fired.push({ path: resource.node.path, ruleId });
    return isAcknowledged.call(this, resource, ruleId);
  };
  try {
    return { report: validateScope(scope), fired };
  } finally {
    delete (internals as Partial<PackInternals>).isAcknowledged; // back to the prototype's method
  }
}

export interface AcknowledgementAudit {
  /** Each pack's report, in the order of `packs` (findings not acknowledged). */
  readonly reports: PolicyValidationPluginReport[];
  /**
   * Acknowledgements of a rule of one of `packs` that fires on no resource at or below the
   * construct that carries them: the reason they were written no longer holds (or never did), and
   * they would silently hide the rule if the resource changed back.
   */
  readonly stale: Acknowledgement[];
}

/**
 * The acknowledgements below `scope` of rules of the packs named by `prefixes` (`AwsSolutions-`)
 * that no firing in `fired` is at or below. Acknowledgements of other plugins' rules, e.g.
 * aws-cdk-lib's `CloudFormation-Validate::...`, are left alone.
 */
export function staleAcknowledgements(scope: IConstruct, packNames: string[], fired: Firing[]): Acknowledgement[] {
  const below = (path: string, ancestor: string) => ancestor === '' || path === ancestor || path.startsWith(`${ancestor}/`);
  return acknowledgementsIn(scope).filter(
    (ack) => packNames.some((name) => ack.id.startsWith(`${name}-`)) && !fired.some((f) => f.ruleId === ack.id && below(f.path, ack.path)),
  );
}

/** Runs every pack on `scope` once: its report, and the stale acknowledgements of its rules below `scope`. */
export function auditAcknowledgements(scope: IConstruct, packs: NagPack[]): AcknowledgementAudit {
  const runs = packs.map((pack) => runRecordingFindings(pack, scope));
  const stale = staleAcknowledgements(
    scope,
    packs.map((p) => p.readPackName),
    runs.flatMap((r) => r.fired),
  );
  return { reports: runs.map((r) => r.report), stale };
}

/**
 * A validation plugin that fails synthesis on stale acknowledgements of the given packs' rules,
 * over the whole app (an acknowledgement may sit on any construct; the rule fires on the
 * `CfnResource`s below it). Register it after the packs it watches: it listens to their own run,
 * so they are not run twice (a pack that did not run on the app is run here).
 *
 * ```ts
 * const packs = [new AwsSolutionsChecks(app), new GenAiBlueprintChecks(app)];
 * Validations.of(app).addPlugins(...packs, new StaleAcknowledgementChecks(packs));
 * ```
 */
export class StaleAcknowledgementChecks implements IPolicyValidationPlugin {
  public readonly name = 'StaleAcknowledgements';
  private readonly runs = new Map<NagPack, { scope: IConstruct; fired: Firing[] }>();

  /**
   * @param superseded rule ids whose acknowledgements may hide nothing: a profile that fixes what they
   * acknowledge (the regulated profile's controls, lib/compliance) leaves them in place for the other.
   */
  constructor(
    private readonly packs: NagPack[],
    private readonly superseded: readonly string[] = [],
  ) {
    for (const pack of packs) {
      const validateScope = pack.validateScope.bind(pack);
      pack.validateScope = (scope: IConstruct) => {
        const { report, fired } = runRecordingFindings(pack, scope, validateScope);
        this.runs.set(pack, { scope, fired });
        return report;
      };
    }
  }

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const app = context.appConstruct;
    const fired = this.packs.flatMap((pack) => {
      if (this.runs.get(pack)?.scope !== app) pack.validateScope(app);
      return this.runs.get(pack)?.fired ?? [];
    });
    const stale = staleAcknowledgements(
      app,
      this.packs.map((p) => p.readPackName),
      fired,
    );
    const violations: PolicyViolation[] = stale
      .filter((ack) => !this.superseded.includes(ack.id))
      .map((ack) => ({
        ruleName: `StaleAcknowledgement[${ack.id}]`,
        description: `${ack.path} acknowledges ${ack.id}, which fires on nothing at or below it: remove the acknowledgement (its reason: "${ack.reason}").`,
        severity: 'error',
        violatingResources: [{ constructPath: ack.path, locations: [] }],
      }));
    return { success: violations.length === 0, violations };
  }
}
