# SPDX-License-Identifier: Apache-2.0
# /usr/share/meterbox/uci.sh: the agent's libconfig file from /etc/config/meterbox,
# sourced by /etc/init.d/meterbox-agent after /lib/functions.sh.
#
# Every UCI option becomes the setting of the same name in the matching
# group (docs/operations-install.md, "UCI"), so `uci set` reaches every key
# of agent.conf without this file knowing them all; what it must know is
# each key's type, since UCI values are all text (mb_uci_type).  Each line
# written ends with a comment naming the UCI option it came from, so an error
# the agent reports as FILE:LINE is shown by its UCI name (mb_uci_explain).
#
# Functions and variables start with mb_uci_ (or MB_UCI_): rc.common and
# functions.sh share one shell.

# mb_uci_type KEY: the type of an agent.conf key into mb_uci_t: num (written
# bare when it looks like a number), bool, or str.
mb_uci_type() {
	case "$1" in
	upload_slot | commit_every | commit_interval_ms | max_bytes | keep_acked_days | \
		alarm2_delay | relay_retries | tamper_wh | no_cut_weekdays | interval | \
		batch_readings | batch_bytes | timeout | backoff_max | window_minutes | uplink_every | \
		baud | data_bits | stop_bits | port | timeout_ms | pause_ms | poll_interval)
		mb_uci_t=num ;;
	syslog | close_by_arming) mb_uci_t=bool ;;
	*) mb_uci_t=str ;;
	esac
}

# mb_uci_str VALUE: VALUE as a libconfig string into mb_uci_v.
mb_uci_str() {
	mb_uci_v=$1
	case "$mb_uci_v" in
	*[\\\"]*) mb_uci_v=$(printf '%s' "$mb_uci_v" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g') ;;
	esac
	mb_uci_v="\"$mb_uci_v\""
}

# mb_uci_isnum VALUE: true for a decimal integer or fraction libconfig reads
# as the same number: no leading zero (an address such as 000000000001 is
# text), no exponent, no sign but a leading minus.
mb_uci_isnum() {
	local n=${1#-} i f
	case "$n" in '' | *[!0-9.]* | *.*.* | .* | *.) return 1 ;; esac
	i=${n%%.*}
	f=${n#"$i"}
	case "$i" in 0?*) return 1 ;; esac
	[ -z "$f" ] || [ "${#f}" -gt 1 ]
}

# mb_uci_value TYPE VALUE: VALUE written as TYPE into mb_uci_v.  A value that
# does not fit its type is written as a string, so that the agent reports it
# ("must be an integer, not string") with the rest instead of a syntax error
# stopping at the first.
mb_uci_value() {
	case "$1" in
	num) if mb_uci_isnum "$2"; then mb_uci_v=$2; else mb_uci_str "$2"; fi ;;
	bool)
		case "$2" in
		1 | on | true | yes | enabled) mb_uci_v=true ;;
		0 | off | false | no | disabled) mb_uci_v=false ;;
		*) mb_uci_str "$2" ;;
		esac
		;;
	*) mb_uci_str "$2" ;;
	esac
}

# mb_uci_option VALUE: a plugin option "KEY=VALUE" as "KEY = VALUE" into
# mb_uci_v.  Plugins read typed options, so VALUE is written as a number when
# it looks like one, as a boolean for true/false, as text otherwise; "..." in
# double quotes is always text (an 8-digit password, say).
mb_uci_option() {
	local key=${1%%=*} val=${1#*=}
	case "$1" in *=*) ;; *) return 1 ;; esac
	case "$key" in '' | *[!A-Za-z0-9_-]* | [!A-Za-z]*) return 1 ;; esac
	case "$val" in
	\"*\")
		val=${val#\"}
		mb_uci_str "${val%\"}"
		;;
	true | false) mb_uci_v=$val ;;
	*) if mb_uci_isnum "$val"; then mb_uci_v=$val; else mb_uci_str "$val"; fi ;;
	esac
	mb_uci_v="$key = $mb_uci_v"
}

# Recording callbacks for config_load: each section's UCI name (meterbox.NAME,
# or meterbox.@TYPE[i] for an unnamed one, as `uci show` prints it) and the
# names of its options and lists in file order.
mb_uci_record() {
	config_cb() {
		[ -n "$2" ] || return 0
		local n
		eval "n=\${MB_UCI_N_$1:-0}"
		eval "MB_UCI_N_$1=$((n + 1))"
		MB_UCI_SEC=$2
		case "$2" in
		cfg[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f] | cfg[0-9]*)
			eval "MB_UCI_NAME_$2=\"meterbox.@$1[$n]\"" ;;
		*) eval "MB_UCI_NAME_$2=meterbox.$2" ;;
		esac
		eval "MB_UCI_OPTS_$2="
	}
	option_cb() { mb_uci_seen "$1"; }
	list_cb() { mb_uci_seen "$1"; }
}

mb_uci_seen() {
	local opts
	eval "opts=\" \$MB_UCI_OPTS_$MB_UCI_SEC \""
	case "$opts" in *" $1 "*) return 0 ;; esac
	eval "MB_UCI_OPTS_$MB_UCI_SEC=\"\${MB_UCI_OPTS_$MB_UCI_SEC} $1\""
}

# mb_uci_line TEXT UCINAME: one line of the output, tagged with its UCI name.
mb_uci_line() {
	printf '%s # uci: %s\n' "$1" "$2" >>"$MB_UCI_OUT"
}

mb_uci_err() {
	echo "$1" >&2
	MB_UCI_ERRORS=$((MB_UCI_ERRORS + 1))
}

# mb_uci_setting SEC KEY INDENT: option or list KEY of section SEC.
mb_uci_setting() {
	local sec=$1 key=$2 name len v i=1 item
	eval "name=\$MB_UCI_NAME_$sec.$key"
	mb_uci_type "$key"
	config_get len "$sec" "${key}_LENGTH"
	if [ -n "$len" ]; then
		v=
		while [ "$i" -le "$len" ]; do
			config_get item "$sec" "${key}_ITEM$i"
			mb_uci_value "$mb_uci_t" "$item"
			v="$v${v:+, }$mb_uci_v"
			i=$((i + 1))
		done
		mb_uci_line "$3$key = [ $v ];" "$name"
	else
		config_get v "$sec" "$key"
		mb_uci_value "$mb_uci_t" "$v"
		mb_uci_line "$3$key = $mb_uci_v;" "$name"
	fi
}

# mb_uci_settings SEC INDENT SKIP...: every option of SEC but those in SKIP.
mb_uci_settings() {
	local sec=$1 ind=$2 key opts
	shift 2
	eval "opts=\$MB_UCI_OPTS_$sec"
	for key in $opts; do
		case " $* " in *" $key "*) continue ;; esac
		mb_uci_setting "$sec" "$key" "$ind"
	done
}

# mb_uci_group SEC GROUP: section SEC as `GROUP = { ... };`.
mb_uci_group() {
	local name
	config_get_bool MB_UCI_ON "$1" enabled 1
	[ "$MB_UCI_ON" = 1 ] || return 0
	eval "name=\$MB_UCI_NAME_$1"
	mb_uci_line "$2 = {" "$name"
	mb_uci_settings "$1" "  " enabled
	[ "$2" = store ] && mb_uci_store_default "$1"
	mb_uci_line "};" "$name"
	[ "$2" = server ] && mb_uci_paths_of "$1" ca_file cert_file key_file
	return 0
}

# The store belongs in /etc/meterbox/state (kept across reboots and
# sysupgrade), not in the compiled-in /var/lib, which is RAM on OpenWrt.
mb_uci_store_default() {
	local p
	config_get p "$1" path
	[ -n "$p" ] || mb_uci_line "  path = \"/etc/meterbox/state/agent.db\";" "$MB_UCI_NAME_store.path"
	MB_UCI_STORE=${p:-/etc/meterbox/state/agent.db}
}

# mb_uci_paths_of SEC KEY...: remember the files the jail must show.
mb_uci_paths_of() {
	local sec=$1 v k
	shift
	for k in "$@"; do
		config_get v "$sec" "$k"
		[ -n "$v" ] && MB_UCI_RO="$MB_UCI_RO $v"
	done
	return 0
}

# mb_uci_list_item SEC KIND: one bus or meter as `{ ... }` in a list.
mb_uci_item() {
	local sec=$1 kind=$2 name uname opt n=0 len i=1 plugin dev
	if [ "$kind" = meter ]; then
		config_get_bool MB_UCI_ON "$sec" enabled 1
		[ "$MB_UCI_ON" = 1 ] || return 0
	fi
	eval "uname=\$MB_UCI_NAME_$sec"
	[ "$MB_UCI_FIRST" = 1 ] || printf ',\n' >>"$MB_UCI_OUT"
	MB_UCI_FIRST=0
	mb_uci_line "  {" "$uname"
	config_get name "$sec" name
	# A named section names its meter or bus unless `option name` does:
	# UCI section names cannot hold the '-' that meter names often have.
	case "$uname" in
	meterbox.@*) ;;
	*) [ -n "$name" ] || { mb_uci_str "$sec" && mb_uci_line "    name = $mb_uci_v;" "$uname"; } ;;
	esac
	mb_uci_settings "$sec" "    " enabled options
	config_get len "$sec" options_LENGTH
	if [ -n "$len" ]; then
		mb_uci_line "    options = {" "$uname.options"
		while [ "$i" -le "$len" ]; do
			config_get opt "$sec" "options_ITEM$i"
			if mb_uci_option "$opt"; then
				mb_uci_line "      $mb_uci_v;" "$uname.options '$opt'"
			else
				mb_uci_err "$uname.options: '$opt' is not KEY=VALUE (a letter, then letters, digits, _ or -)"
			fi
			i=$((i + 1))
		done
		mb_uci_line "    };" "$uname.options"
	fi
	printf '  }' >>"$MB_UCI_OUT"
	config_get plugin "$sec" plugin
	[ "$plugin" = gpio ] && MB_UCI_GPIO=1
	config_get dev "$sec" device
	[ -n "$dev" ] && MB_UCI_DEVICES="$MB_UCI_DEVICES $dev"
	return 0
}

# mb_uci_list KIND GROUP: every section of type KIND as `GROUP = ( ... );`.
mb_uci_list() {
	mb_uci_line "$2 = (" "meterbox.@$1"
	MB_UCI_FIRST=1
	config_foreach mb_uci_item "$1" "$1"
	printf '\n' >>"$MB_UCI_OUT"
	mb_uci_line ");" "meterbox.@$1"
}

# The system's zone (system.@system[0]): its tz database name when the zone
# file is installed (the package depends on zoneinfo-asia), else the POSIX
# rule LuCI writes beside it, which needs no file; UTC when neither is set.
mb_uci_zone_of() {
	[ -n "$MB_UCI_ZONE_SEEN" ] && return 0
	MB_UCI_ZONE_SEEN=1
	config_get MB_UCI_ZONENAME "$1" zonename
	config_get MB_UCI_POSIXTZ "$1" timezone
}

mb_uci_zone() {
	local zi=${MB_ZONEINFO_DIR:-/usr/share/zoneinfo}
	MB_UCI_ZONE_SEEN= MB_UCI_ZONENAME= MB_UCI_POSIXTZ=
	config_load system
	config_foreach mb_uci_zone_of system
	if [ -n "$MB_UCI_ZONENAME" ] && [ -r "$zi/$MB_UCI_ZONENAME" ]; then
		MB_UCI_TZ=$MB_UCI_ZONENAME MB_UCI_TZ_FROM=system.@system[0].zonename
	elif [ -n "$MB_UCI_POSIXTZ" ]; then
		MB_UCI_TZ=$MB_UCI_POSIXTZ MB_UCI_TZ_FROM=system.@system[0].timezone
		[ -z "$MB_UCI_ZONENAME" ] || [ "$MB_UCI_ZONENAME" = UTC ] ||
			echo "meterbox: no $zi/$MB_UCI_ZONENAME (install the zoneinfo package of its region): using the rule '$MB_UCI_POSIXTZ' of system.@system[0].timezone" >&2
	elif [ -z "$MB_UCI_ZONENAME" ] || [ "$MB_UCI_ZONENAME" = UTC ]; then
		MB_UCI_TZ=UTC0 MB_UCI_TZ_FROM=system.@system[0].zonename
	else
		# Written as it is: the agent refuses it, by this name.
		MB_UCI_TZ=$MB_UCI_ZONENAME MB_UCI_TZ_FROM=system.@system[0].zonename
	fi
}

# mb_uci_first_of TYPE: the first section of TYPE into MB_UCI_FOUND.
mb_uci_first_of() {
	MB_UCI_FOUND=
	config_foreach mb_uci_pick "$1"
}
mb_uci_pick() { [ -n "$MB_UCI_FOUND" ] || MB_UCI_FOUND=$1; }

# meterbox_uci_generate OUT: write the agent's configuration from
# /etc/config/meterbox (and the system zone) to OUT.  Returns 0, or 1 after
# printing each problem by its UCI name on stderr.  Sets MB_UCI_STORE (the
# store's path), MB_UCI_DEVICES (serial devices), MB_UCI_RO (files the
# agent reads: TLS keys and certificates) and MB_UCI_GPIO (1 when a meter
# uses the gpio plugin), for the jail.
meterbox_uci_generate() {
	local sec t
	MB_UCI_OUT=$1 MB_UCI_ERRORS=0 MB_UCI_DEVICES= MB_UCI_RO= MB_UCI_GPIO=0
	MB_UCI_STORE=/etc/meterbox/state/agent.db
	mb_uci_zone
	mb_uci_record
	config_load meterbox
	reset_cb
	: >"$MB_UCI_OUT" || return 1
	printf '# Generated from /etc/config/meterbox by /etc/init.d/meterbox-agent: edit that\n# (uci set meterbox...; uci commit meterbox; reload_config), not this file.\n' >>"$MB_UCI_OUT"
	mb_uci_first_of agent
	t=
	[ -n "$MB_UCI_FOUND" ] && config_get t "$MB_UCI_FOUND" timezone
	if [ -n "$t" ]; then
		eval "sec=\$MB_UCI_NAME_$MB_UCI_FOUND.timezone"
		mb_uci_str "$t"
		mb_uci_line "timezone = $mb_uci_v;" "$sec"
	else
		mb_uci_str "$MB_UCI_TZ" && mb_uci_line "timezone = $mb_uci_v;" "$MB_UCI_TZ_FROM"
	fi
	[ -n "$MB_UCI_FOUND" ] &&
		mb_uci_settings "$MB_UCI_FOUND" "" enabled verbose alt_config_file timezone jail jail_ro jail_rw
	for t in gateway server store policy log; do
		config_foreach mb_uci_group "$t" "$t"
	done
	mb_uci_first_of store
	[ -n "$MB_UCI_FOUND" ] || {
		mb_uci_line "store = { path = \"$MB_UCI_STORE\"; };" "meterbox.@store"
	}
	mb_uci_list bus buses
	mb_uci_list meter meters
	[ "$MB_UCI_ERRORS" = 0 ]
}

# mb_uci_explain CONF: the agent's messages on stdin, with each FILE:LINE in
# CONF replaced by the UCI name written on that line.
mb_uci_explain() {
	awk -v conf="$1" '
		NR == FNR { if ((i = index($0, " # uci: ")) > 0) name[FNR] = substr($0, i + 8); next }
		index($0, conf ":") == 1 {
			rest = substr($0, length(conf) + 2)
			if (match(rest, /^[0-9]+: /)) {
				line = substr(rest, 1, RLENGTH - 2) + 0
				if (line in name) { print name[line] ": " substr(rest, RLENGTH + 1); next }
			}
		}
		{ print }
	' "$1" -
}
