import { Inject, Injectable } from "@nestjs/common";
import { OperatorEvents, TSOPERATOR_LOGGER, type Logger } from "tsoperator";

/**
 * The app's own service: Nest creates it once and injects it into the operator. It records an
 * Event and logs through what tsoperator's module provides (no request passed down).
 */
@Injectable()
export class GreetingService {
  /** How many instances Nest made (the sample prints it: one, never a second container's copy). */
  static instances = 0;
  private readonly phrases: Record<string, string> = { en: "Hello", fr: "Bonjour", de: "Hallo" };

  constructor(
    private readonly events: OperatorEvents,
    @Inject(TSOPERATOR_LOGGER) private readonly log: Logger,
  ) {
    GreetingService.instances++;
  }

  /** Tells `kubectl describe` what was greeted: a Normal Event on the parent. */
  announce(parent: object, text: string): void {
    this.log.debug("greeting announced", { text });
    this.events.normal(parent, "Greeted", text);
  }

  greet(name: string, language = "en"): string {
    return `${this.phrases[language] ?? this.phrases.en}, ${name}!`;
  }
}
