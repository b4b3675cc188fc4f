import { Names } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';

/**
 * Admits TCP `port` into `group` from each security group of `from`, as AWS::EC2::SecurityGroupIngress
 * resources whose logical ids do not carry the stack id. `connections.allowFrom` names the rule
 * after the peer's unique id, which does: moving up a ground then renamed the rule, so CloudFormation
 * created an identical rule before deleting the old one, which EC2 refuses
 * (InvalidPermission.Duplicate) or, if accepted, the cleanup's delete revokes.
 */
export function allowFromStably(group: ec2.ISecurityGroup, from: ec2.IConnectable, port: number, description: string): void {
  for (const peer of from.connections.securityGroups) {
    const id = `From${Names.stackRelativeConstructPath(peer).replace(/[^A-Za-z0-9]/g, '')}Port${port}`;
    if (group.node.tryFindChild(id)) continue;
    new ec2.CfnSecurityGroupIngress(group, id, {
      groupId: group.securityGroupId,
      sourceSecurityGroupId: peer.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: port,
      toPort: port,
      description,
    });
  }
}
