/**
 * AWS list prices in us-east-1 that the cost section of `npm run bench` uses,
 * in US dollars, and the assumptions beside them. One place, with the date
 * they were written down: check them against aws.amazon.com/pricing before
 * relying on a figure, and update the date with them.
 */
export const prices = {
  /** When these were taken from the public price pages. */
  asOf: '2026-12-04',
  region: 'us-east-1',
  apiGateway: {
    /** HTTP API, per million requests: the first 300 million of a month, and beyond. */
    perMillionRequests: 1.0,
    perMillionRequestsBeyond300M: 0.9,
  },
  lambda: {
    perMillionRequests: 0.2,
    /** arm64, per GB-second (first 7.5 billion GB-s of a month). */
    perGbSecond: 0.0000133334,
  },
  dynamodb: {
    /** On-demand, per million write / read request units. */
    perMillionWriteUnits: 0.625,
    perMillionReadUnits: 0.125,
    /** Standard table class, per GB-month stored (beyond the free 25 GB). */
    perGbMonth: 0.25,
  },
  cloudWatch: {
    /** Logs ingested, Standard class, per GB. */
    perGbIngested: 0.5,
  },
  xray: {
    /** Traces recorded, per million (the first 100,000 of a month free). */
    perMillionTracesRecorded: 5.0,
  },
  cognito: {
    /** Monthly active users free each month on both tiers. */
    freeMau: 10_000,
    /** Lite: per MAU, by tier of the month's MAU beyond the free ones. */
    liteTiers: [
      { upTo: 100_000, perMau: 0.0055 },
      { upTo: 1_000_000, perMau: 0.0046 },
      { upTo: 10_000_000, perMau: 0.00325 },
      { upTo: Infinity, perMau: 0.0025 },
    ],
    /** Essentials: per MAU beyond the free ones. */
    essentialsPerMau: 0.015,
  },
} as const;

/** What the figures do not measure, stated so that each can be changed in one place. */
export const assumptions = {
  /** A DynamoDB round trip inside the region, as Lambda waits for it (single-digit milliseconds at p50). */
  dynamoRoundTripMs: 4,
  /** Lambda's START, END and REPORT lines per invocation. */
  platformLogBytes: 330,
  /**
   * The share of invocations X-Ray records: every function has active
   * tracing (lib/auth-function.ts), and Lambda samples what no upstream
   * decided (API Gateway's HTTP APIs decide nothing) at X-Ray's default of
   * 1 a second and 5% of the rest. At these volumes the second is the bill.
   */
  tracedShare: 0.05,
  /** Memory at which a Lambda function has one full vCPU: below it, CPU time stretches by 1769 / memory. */
  fullVcpuMb: 1769,
  /** An audit item's bytes as DynamoDB stores it, kept AUDIT_RETENTION_DAYS, on the table and its byUser index. */
  auditRetentionDays: 90,
} as const;
