import { Injectable } from "@nestjs/common";

/** The app's own service: Nest creates it once and injects it into the operator. */
@Injectable()
export class GreetingService {
  /** How many instances Nest made (the sample prints it: one, never a second container's copy). */
  static instances = 0;
  private readonly phrases: Record<string, string> = { en: "Hello", fr: "Bonjour", de: "Hallo" };

  constructor() {
    GreetingService.instances++;
  }

  greet(name: string, language = "en"): string {
    return `${this.phrases[language] ?? this.phrases.en}, ${name}!`;
  }
}
