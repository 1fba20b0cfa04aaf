import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * One acknowledged cdk-nag finding.
 *
 * cdk-nag is a development dependency of this library, never a runtime one: acknowledgements go
 * through the core `Validations` mechanism of aws-cdk-lib, which cdk-nag (v3) reads.
 */
export interface NagAcknowledgement {
  /** Rule id, e.g. `AwsSolutions-IAM5`. */
  readonly id: string;
  /** Why accepting the finding is right here. Specific, at least a sentence. */
  readonly reason: string;
  /**
   * The findings of a multi-finding rule this acknowledgement covers, e.g. `Resource::<Table.Arn>/index/*`.
   * Each becomes the id `RuleId[finding]`, so nothing else on the construct is silenced.
   * @default - the rule as a whole (rules that report a single finding per resource)
   */
  readonly appliesTo?: string[];
}

/** The shortest reason we accept: a reason has to say something. */
const MIN_REASON_LENGTH = 20;

/**
 * Acknowledge cdk-nag findings on a construct (and everything below it), each with a rule id and a reason.
 *
 * The acknowledgement is recorded with `Validations.of(scope).acknowledge(...)`. Finding ids that contain
 * more than one `::` (resource ARNs such as `Resource::arn:<AWS::Partition>:...`) are rejected by
 * `Validations.acknowledge`'s id parser, so those are written to the very metadata entry it writes
 * (`Validations.ACKNOWLEDGED_RULES_METADATA_KEY`), which is what cdk-nag reads.
 */
export function acknowledge(scope: IConstruct, ...acks: NagAcknowledgement[]): void {
  for (const ack of acks) {
    if (!/^[A-Za-z0-9]+-[A-Za-z0-9]+$/.test(ack.id)) {
      throw new Error(`cdk-nag acknowledgement: '${ack.id}' is not a rule id (expected e.g. 'AwsSolutions-IAM5'); put findings in appliesTo`);
    }
    if (ack.reason.trim().length < MIN_REASON_LENGTH) {
      throw new Error(`cdk-nag acknowledgement of ${ack.id} on ${scope.node.path}: give a specific reason (at least ${MIN_REASON_LENGTH} characters)`);
    }
    const ids = ack.appliesTo && ack.appliesTo.length > 0
      ? ack.appliesTo.map((finding) => `${ack.id}[${finding}]`)
      : [ack.id];
    for (const id of ids) {
      if (id.split('::').length <= 2) {
        Validations.of(scope).acknowledge({ id, reason: ack.reason });
      } else {
        scope.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [id]: ack.reason });
      }
    }
  }
}
