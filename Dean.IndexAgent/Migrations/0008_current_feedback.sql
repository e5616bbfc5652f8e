-- The evaluator's feedback on the program an agent holds (its artifacts), apart from the feedback on its last attempt:
-- the llm operator's prompt carries both (issue 14). Existing agents start with what their last step said.
ALTER TABLE agents ADD COLUMN current_feedback text;
UPDATE agents SET current_feedback = last_feedback;
