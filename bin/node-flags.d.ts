/** Node flags Hearth runs with (see node-flags.js). */
export declare const nodeFlags: readonly string[];
/** Runs this process again with the flags it lacks; returns only when it has them (or cannot). */
export declare function runWithNodeFlags(): void;
