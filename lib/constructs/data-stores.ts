import { RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type ITable,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { TableDesign } from '../../lambda/store/tables.ts';
import { SECRETS, type SecretId, type SecretSpec, TABLES, type TableId } from '../manifest.ts';
import { constructId, entriesOf } from './names.ts';

export interface DataStoresProps {
  /**
   * Tables that may never be deleted by CloudFormation (deletion protection), on top of `RemovalPolicy.RETAIN` that
   * every table has.
   *
   * @default ['auditTable', 'approvalsTable', 'grantsTable'] — the append-only audit trail, the approval requests with
   * their decision history, and the time-bound grants (without them, access nobody revokes stays forever)
   */
  readonly deletionProtected?: readonly TableId[];
}

/**
 * The stateful resources: one DynamoDB table per `TABLES` design (on demand, encrypted with the AWS-managed key,
 * point-in-time recovery, retained on stack deletion, no physical names) and the generated hook secrets.
 */
export class DataStores extends Construct {
  readonly tables: Readonly<Record<TableId, ITable>>;
  readonly secrets: Readonly<Record<SecretId, ISecret>>;

  constructor(scope: Construct, id: string, props: DataStoresProps = {}) {
    super(scope, id);
    const protectedTables = new Set<TableId>(
      props.deletionProtected ?? ['auditTable', 'approvalsTable', 'grantsTable'],
    );

    const tables = {} as Record<TableId, ITable>;
    for (const [tableId, design] of entriesOf<TableId, TableDesign>(TABLES)) {
      tables[tableId] = this.table(tableId, design, protectedTables.has(tableId));
    }
    this.tables = tables;

    const secrets = {} as Record<SecretId, ISecret>;
    for (const [secretId, design] of entriesOf<SecretId, SecretSpec>(SECRETS)) {
      const secret = new Secret(this, constructId(secretId), {
        description: design.description,
        ...('generate' in design.value
          ? {
              generateSecretString: {
                passwordLength: design.value.generate.length,
                excludePunctuation: true,
                includeSpace: false,
              },
            }
          : // A fixed, non-secret placeholder: the operator replaces it after the first deploy (docs/deploy.md), and
            // later deploys leave the value alone as long as the placeholder does not change.
            { secretStringValue: SecretValue.unsafePlainText(design.value.provided.placeholder) }),
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'generate' in design.value
            ? 'Okta holds a copy of this secret in its hook configuration and Secrets Manager cannot change that copy, so automatic rotation would break deliveries. Rotation is a manual, zero-downtime procedure (a JSON array of accepted secrets; see docs/deploy.md).'
            : 'The value is an Okta API token or a service app key issued by Okta; Secrets Manager cannot rotate it. Rotate it in Okta and put the new value in this secret (the functions re-read it every 5 minutes; see docs/deploy.md).',
      });
      secrets[secretId] = secret;
    }
    this.secrets = secrets;
  }

  private table(tableId: TableId, design: TableDesign, deletionProtection: boolean): Table {
    const table = new Table(this, constructId(tableId), {
      partitionKey: { name: design.partitionKey, type: AttributeType.STRING },
      ...(design.sortKey ? { sortKey: { name: design.sortKey, type: AttributeType.STRING } } : {}),
      ...(design.ttlAttribute ? { timeToLiveAttribute: design.ttlAttribute } : {}),
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const [indexName, keys] of Object.entries(design.indexes)) {
      table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: keys.partitionKey, type: AttributeType.STRING },
        sortKey: { name: keys.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }
    return table;
  }
}
