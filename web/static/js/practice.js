// Chat practice page: the interview with typed answers (everything is in interview.js and
// the modules it wires, shared with the voice page).
import { createInterview } from "./interview.js";

createInterview();
