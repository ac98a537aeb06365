// Error bodies. Two families, as Zendesk has them:
// - Support API style {"error": ..., "description": ...}. No doc page shows these; the 401/403 bodies and
//   the WWW-Authenticate header are Zendesk's replies as quoted in client issue trackers (e.g.
//   Speedygeek/ZendeskApi_v2#505, fprimex/zdesk#58, facetoe/zenpy#336); the missing-scope 403 is
//   shared/zendesk/examples/errors.generic.json. See README.md for the full list of assumptions.
// - The access-log API's JSON:API style {"errors":[{"detail","title"}]}, verbatim from the examples on
//   https://developer.zendesk.com/api-reference/ticketing/account-configuration/access_logs/

export interface ErrorReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export const supportErrors = {
  unauthenticated: (): ErrorReply => ({ status: 401, body: { error: "Couldn't authenticate you" }, headers: { 'www-authenticate': 'Basic realm="Web Password"' } }),
  invalidToken: (): ErrorReply => ({
    status: 401,
    body: { error: 'invalid_token', error_description: 'The access token provided is expired, revoked, malformed or invalid for other reasons.' },
    headers: { 'www-authenticate': 'Bearer realm="Zendesk", error="invalid_token"' },
  }),
  forbidden: (): ErrorReply => ({
    status: 403,
    body: { error: 'Forbidden', description: 'You do not have access to this page. Please contact the account owner of this help desk for further help.' },
  }),
  missingScope: (scope: string): ErrorReply => ({ status: 403, body: { error: 'Forbidden', description: `You are missing the following required scopes: ${scope}` } }),
  invalidEndpoint: (): ErrorReply => ({ status: 404, body: { error: 'InvalidEndpoint', description: 'Not found' } }),
  recordNotFound: (): ErrorReply => ({ status: 404, body: { error: 'RecordNotFound', description: 'Not found' } }),
  invalidValue: (description: string, status = 400): ErrorReply => ({ status, body: { error: 'InvalidValue', description } }),
  invalidPagination: (description: string): ErrorReply => ({ status: 400, body: { error: 'InvalidPaginationParameter', description } }),
  rateLimited: (): ErrorReply => ({ status: 429, body: { error: 'RateLimited', description: 'Number of allowed API requests per minute exceeded' } }),
  server: (status: number): ErrorReply => ({
    status,
    body:
      status === 503
        ? { error: 'ServiceUnavailable', description: 'Zendesk is temporarily unavailable. Please try again later.' }
        : status === 500
          ? { error: 'InternalServerError', description: 'Something went wrong. Please try again.' }
          : `<html><body><h1>${status} ${status === 502 ? 'Bad Gateway' : 'Gateway Timeout'}</h1></body></html>`,
    headers: status === 502 || status === 504 ? { 'content-type': 'text/html' } : {},
  }),
};

const accessError = (status: number, detail: string, title: string): ErrorReply => ({ status, body: { errors: [{ detail, title }] } });

export const accessLogErrors = {
  malformed: (detail: string): ErrorReply => accessError(400, detail, 'Malformed query params'),
  pageTooLarge: (): ErrorReply => accessError(400, 'max allowed page size is 2500', 'Malformed query params'),
  unauthenticated: (): ErrorReply => accessError(401, 'Please use valid credentials', 'Authentication failed'),
  forbidden: (): ErrorReply => accessError(403, 'You must have administrator privileges', 'Authorization failed'),
  rateLimited: (): ErrorReply => accessError(429, 'Use RateLimit-Reset header to backoff on retries', 'Too many requests'),
  server: (status: number): ErrorReply => accessError(status, 'Failed to process request', 'Internal Service Error'),
};
