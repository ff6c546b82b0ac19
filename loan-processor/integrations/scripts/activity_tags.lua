-- TagResource, UntagResource and ListTagsForResource of an activity.
-- KEYS: [1] the activity, [2] its tags.
-- ARGV: [1] 'tag', 'untag' or 'list'; 'tag': [2] the most tags an activity may have, then key, value pairs
--       (an existing key gets the new value); 'untag': the keys (unknown ones are ignored).
-- Returns {0} when the activity does not exist; {2} when tagging would leave more than the most (nothing
-- changed); else {1} ('list': {1, key, value, ...} ordered by key).
-- include: _tags.lua
return tags_command(KEYS[1], KEYS[2])
