import { Aws, CfnMapping, Fn, Stack, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/** Version of the SageMaker built-in XGBoost container the pipeline trains and serves with. */
export const XGBOOST_VERSION = '1.7-1';

/**
 * Registry account of the built-in `sagemaker-xgboost` image per Region. Verified against
 * aws/sagemaker-python-sdk `src/sagemaker/image_uri_config/xgboost.json` (versions 1.5-1 to
 * 2.1-0 share these accounts). The ISO partitions are left out: their image URIs need another
 * domain than the partition's URL suffix.
 */
export const XGBOOST_REGISTRIES: Readonly<Record<string, string>> = {
  'af-south-1': '510948584623',
  'ap-east-1': '651117190479',
  'ap-northeast-1': '354813040037',
  'ap-northeast-2': '366743142698',
  'ap-northeast-3': '867004704886',
  'ap-south-1': '720646828776',
  'ap-south-2': '628508329040',
  'ap-southeast-1': '121021644041',
  'ap-southeast-2': '783357654285',
  'ap-southeast-3': '951798379941',
  'ap-southeast-4': '106583098589',
  'ca-central-1': '341280168497',
  'ca-west-1': '190319476487',
  'cn-north-1': '450853457545',
  'cn-northwest-1': '451049120500',
  'eu-central-1': '492215442770',
  'eu-central-2': '680994064768',
  'eu-north-1': '662702820516',
  'eu-south-1': '978288397137',
  'eu-south-2': '104374241257',
  'eu-west-1': '141502667606',
  'eu-west-2': '764974769150',
  'eu-west-3': '659782779980',
  'il-central-1': '898809789911',
  'me-central-1': '272398656194',
  'me-south-1': '801668240914',
  'sa-east-1': '737474898029',
  'us-east-1': '683313688378',
  'us-east-2': '257758044811',
  'us-gov-east-1': '237065988967',
  'us-gov-west-1': '414596584902',
  'us-west-1': '746614075791',
  'us-west-2': '246618743249',
};

export interface XgboostImage {
  /** `<account>.dkr.ecr.<region>.<suffix>/sagemaker-xgboost:<version>` for the deploying Region. */
  readonly uri: string;
  /** The image's ECR repository ARN (for pull permissions). */
  readonly repositoryArn: string;
}

/**
 * The image for the Region the stack is deployed in, resolved by CloudFormation from a mapping
 * keyed by `AWS::Region`, so one template serves every listed Region. In a Region that is not in
 * the table, `Fn::FindInMap` fails the deployment before any resource is created (and synth fails
 * at once when the stack names its Region).
 */
export function xgboostImage(scope: Construct): XgboostImage {
  const stack = Stack.of(scope);
  const id = 'XgboostRegistries';
  const mapping =
    (stack.node.tryFindChild(id) as CfnMapping | undefined) ??
    new CfnMapping(stack, id, { mapping: Object.fromEntries(Object.entries(XGBOOST_REGISTRIES).map(([region, account]) => [region, { account }])) });
  if (!Token.isUnresolved(stack.region) && !XGBOOST_REGISTRIES[stack.region]) {
    throw new Error(`the built-in XGBoost image is not listed for region ${stack.region}; listed: ${Object.keys(XGBOOST_REGISTRIES).join(', ')}`);
  }
  const account = mapping.findInMap(Aws.REGION, 'account');
  return {
    uri: Fn.join('', [account, '.dkr.ecr.', Aws.REGION, '.', Aws.URL_SUFFIX, `/sagemaker-xgboost:${XGBOOST_VERSION}`]),
    repositoryArn: Fn.join('', ['arn:', Aws.PARTITION, ':ecr:', Aws.REGION, ':', account, ':repository/sagemaker-xgboost']),
  };
}
