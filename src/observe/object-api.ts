// The object API every Cluster talks through: the official client's KubernetesObjectApi, which
// knows the REST names of the action's kinds without asking (rest-mapping.ts) and answers with
// the server's JSON as it is.
import type { KubernetesObject, ResponseContext } from '@kubernetes/client-node';
import { MappedObjectApi } from './rest-mapping.js';

export class ObjectApi extends MappedObjectApi {
  /**
   * A successful answer's objects as the server sent them. The client would make each into its
   * generated model (an instance per nested field, dates as Date, a field it does not know
   * dropped), which nothing here needs: the action handles objects as plain JSON. That took a
   * tenth of a 100-member no-op's CPU. A refusal still becomes the client's ApiException.
   */
  protected override async processResponse<T extends KubernetesObject>(
    response: ResponseContext,
    type?: string,
  ): Promise<T> {
    const ok = response.httpStatusCode >= 200 && response.httpStatusCode <= 299;
    if (!ok) return super.processResponse(response, type);
    return JSON.parse(await response.body.text()) as T;
  }
}
