import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';

/**
 * A custom domain for `BedrockChatFrontend`.
 *
 * Give `hostedZone` to have the alias records (A, and AAAA with IPv6) created, and a DNS-validated certificate
 * created when you give none. Without `hostedZone` (DNS managed elsewhere) give `certificate` and point a CNAME
 * at the distribution's domain name yourself.
 */
export interface FrontendDomain {
  /** The domain name viewers use, e.g. `chat.example.com` (in `hostedZone` when given). */
  readonly domainName: string;

  /**
   * The Route 53 public hosted zone of `domainName`: receives the alias records and, when no `certificate` is
   * given, the certificate's DNS validation records.
   *
   * @default - no records are created (give `certificate`)
   */
  readonly hostedZone?: route53.IHostedZone;

  /**
   * An ACM certificate for `domainName` in us-east-1 (the only region CloudFront reads certificates from).
   *
   * @default - a certificate for `domainName`, validated through `hostedZone`, created in this stack (which must
   * then be in us-east-1; in another region, create the certificate in a us-east-1 stack and pass it here with
   * `crossRegionReferences: true`)
   */
  readonly certificate?: acm.ICertificate;
}
