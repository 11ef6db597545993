/**
 * What must outlive any deployment of the service: the table (session storage scopes, the
 * capacity delegation, rate-limit counters, audit records) and its key. Both are RETAINed, so a
 * `cdk destroy` or a stack replacement never loses state. The owner-key secret is only referenced:
 * its value never passes through a template.
 */
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { ServiceConfig } from '../functions/commons/config';
import { TABLE_KEYS } from '../functions/commons/table';
import { isCompleteSecretArn } from './service-function';

export interface StatefulStackProps extends StackProps {
  readonly config: ServiceConfig;
}

export class StatefulStack extends Stack {
  readonly table: dynamodb.Table;
  /** Customer-managed key of the table: session entries hold secret key material. */
  readonly key: kms.Key;
  readonly ownerKeySecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.key = new kms.Key(this, 'TableKey', {
      description: `${config.serviceName}: encrypts the service table (session keys, wallet sigs, delegation)`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: TABLE_KEYS.ttlAttribute,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      removalPolicy: RemovalPolicy.RETAIN,
      // RETAIN covers stack deletion; this covers a DeleteTable call from a console or script.
      deletionProtection: true,
    });

    this.ownerKeySecret = referenceSecret(this, 'OwnerKeySecret', config.ownerKeySecret);
  }
}

/** A name, a complete ARN, or a partial ARN (no random suffix), each imported the way IAM can match it. */
export function referenceSecret(scope: Construct, id: string, nameOrArn: string): secretsmanager.ISecret {
  if (!nameOrArn.startsWith('arn:')) return secretsmanager.Secret.fromSecretNameV2(scope, id, nameOrArn);
  if (isCompleteSecretArn(nameOrArn)) return secretsmanager.Secret.fromSecretCompleteArn(scope, id, nameOrArn);
  return secretsmanager.Secret.fromSecretPartialArn(scope, id, nameOrArn);
}
