/**
 * How a `ChatModel` is turned into the model id sent to Bedrock in a given Region.
 */
export class InferenceProfileMode {
  /**
   * The global cross-Region profile (`global.`) when the model has one and the Region is commercial; otherwise the
   * Region's geographic profile (`us.`, `eu.`, `apac.`, `jp.`, `au.`, `us-gov.`) when the model has it; otherwise the
   * base model id. Global profiles give the most throughput and, for recent Claude models, the lowest price; requests
   * may be processed in any commercial Region.
   */
  public static readonly GLOBAL_THEN_GEOGRAPHIC = new InferenceProfileMode('GLOBAL_THEN_GEOGRAPHIC');

  /**
   * The Region's geographic profile when the model has it, otherwise the base model id. Requests stay within the
   * geography (data residency).
   */
  public static readonly GEOGRAPHIC = new InferenceProfileMode('GEOGRAPHIC');

  /**
   * Always the base model id: in-Region on-demand invocation. Some recent models (Claude 4.5 and later, Nova 2) are
   * offered through inference profiles only in most Regions; with them this mode fails at call time there.
   */
  public static readonly NONE = new InferenceProfileMode('NONE');

  /** One of `GLOBAL_THEN_GEOGRAPHIC`, `GEOGRAPHIC`, `NONE` (case-insensitive), e.g. from CDK context. */
  public static of(name: string): InferenceProfileMode {
    const found = [InferenceProfileMode.GLOBAL_THEN_GEOGRAPHIC, InferenceProfileMode.GEOGRAPHIC, InferenceProfileMode.NONE]
      .find(m => m.name === String(name).trim().toUpperCase());
    if (!found) {
      throw new Error(`Unknown inference profile mode "${name}": use GLOBAL_THEN_GEOGRAPHIC, GEOGRAPHIC or NONE.`);
    }
    return found;
  }

  /** The mode's name. */
  public readonly name: string;

  private constructor(name: string) {
    this.name = name;
  }

  public toString(): string {
    return this.name;
  }
}
