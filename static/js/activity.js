// The activity lines of the open conversation or email thread ("Ada Lovelace closed this"):
// fetched when it opens, and pushed live (activity.created) as teammates change it.
// thread-extras.js keeps them and puts them among the messages or emails by time.

import { getJSON } from "./api.js";
import { activityUrl, listOf } from "./team-data.js";
import { mergeActivity, onThreadOpened } from "./thread-extras.js";

const loading = new Set(); // conversation ids with a fetch on its way
const again = new Set(); // and those to fetch once more when it answers (a change since)

export async function refreshActivity(kind, id) {
  if (loading.has(id)) {
    again.add(id);
    return;
  }
  loading.add(id);
  try {
    mergeActivity(id, listOf(await getJSON(activityUrl(kind, id)), "activity"));
  } catch {
    // The thread still reads without its activity lines; the next opening tries again.
  } finally {
    loading.delete(id);
    if (again.delete(id)) {
      refreshActivity(kind, id);
    }
  }
}

// A pushed {"type": "activity.created", "activity": {...}}.
export function activityCreated(activity) {
  if (activity?.conversation_id) {
    mergeActivity(activity.conversation_id, [activity]);
  }
}

export function setupActivity() {
  onThreadOpened(refreshActivity);
}
