# --- Service Connector: keys into ./.env, skills into ./.claude/rules -----------------
# Paste into the platform's sync_data.sh after the data sync, with sync-service-env.sh
# installed beside it. Uses the same ssh alias as the rest of sync_data.sh. A failure
# (server unreachable, damaged block in .env) keeps the previous keys and is reported,
# but does not abort the data sync that already happened. With SC_KEYS_FILE set (a file
# outside the project), the keys go there instead of .env, for sc-run.
sc_sync="$(dirname "$0")/sync-service-env.sh"
if [ -f "$sc_sync" ]; then
	sh "$sc_sync" --host "${SC_HOST:-data-analyst}" --env ./.env --rules ./.claude/rules ${SC_KEYS_FILE:+--keys-file "$SC_KEYS_FILE"} ||
		echo "sync_data: Service Connector keys were not updated (see the message above)" >&2
else
	echo "sync_data: $sc_sync is missing; Service Connector keys were not synced" >&2
fi
# --- end Service Connector -------------------------------------------------------------
