/**
 * docs/testing.md's example (docs/examples/testing.ts) run as the guide tells a user to: its
 * `websiteTests()` registers a node:test suite that starts a TestKit with the getting-started
 * operator on a real control plane.
 */
import { websiteTests } from "../../docs/examples/testing.js";

websiteTests();
