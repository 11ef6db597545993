/**
 * What the service stack can enforce about the owner key, which it never creates: a resource
 * policy on the existing secret so that only the signing functions' roles (and a named
 * break-glass role) can read it, whatever identity policies the account grants; and synth
 * warnings for the parts only the operator can fix (the secret's KMS key, a full ARN). The README's
 * security model has the key policy to apply by hand.
 */
import { Annotations, CfnOutput, Fn } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ServiceConfig } from '../functions/commons/config';
import { isCompleteSecretArn } from './service-function';

export interface OwnerKeyGuardProps {
  readonly config: ServiceConfig;
  /** The execution roles of the functions that sign with the owner key. */
  readonly signingRoles: readonly iam.IRole[];
}

export class OwnerKeyGuard extends Construct {
  readonly policy?: secretsmanager.CfnResourcePolicy;

  constructor(scope: Construct, id: string, props: OwnerKeyGuardProps) {
    super(scope, id);
    const { config } = props;
    const readers = [...props.signingRoles.map((r) => r.roleArn), ...(config.ownerKeyBreakGlassRoleArn ? [config.ownerKeyBreakGlassRoleArn] : [])];

    if (config.ownerKeySecretPolicy === 'managed') {
      // A Deny in the secret's own policy binds every principal of the account, administrators
      // included, unlike the functions' Allow grants, which only say who else may read it.
      // aws:PrincipalArn of a role session is the role's ARN. Writes and policy changes stay with
      // IAM, so an operator can still rotate the key or lift this policy.
      this.policy = new secretsmanager.CfnResourcePolicy(this, 'SecretPolicy', {
        secretId: config.ownerKeySecret,
        blockPublicPolicy: true,
        resourcePolicy: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'OnlyTheSigningRolesReadTheOwnerKey',
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 'secretsmanager:GetSecretValue',
              Resource: '*',
              Condition: { ArnNotEquals: { 'aws:PrincipalArn': readers } },
            },
          ],
        },
      });
    }

    new CfnOutput(scope, 'OwnerKeyReaderRoleArns', {
      value: Fn.join(
        ',',
        props.signingRoles.map((r) => r.roleArn),
      ),
      description: "Roles that read the owner key: name them (and only them) in the secret's KMS key policy",
    });

    if (!config.ownerKeySecretKmsKeyArn) {
      Annotations.of(this).addWarningV2(
        'lit-session-service:owner-key-aws-managed-key',
        'ownerKeySecretKmsKeyArn is not set, so the owner-key secret is taken to use the AWS-managed key (aws/secretsmanager), which any ' +
          'principal of the account allowed GetSecretValue can use. Encrypt it with a customer-managed key whose policy names the ' +
          'signing roles only (README: Security model).',
      );
    }
    if (!isCompleteSecretArn(config.ownerKeySecret)) {
      Annotations.of(this).addWarningV2(
        'lit-session-service:owner-key-secret-not-full-arn',
        `ownerKeySecret '${config.ownerKeySecret}' is not a full secret ARN: the grants match any secret of that name (-??????), ` +
          'including one created again after a deletion. Use the ARN create-secret printed.',
      );
    }
  }
}
