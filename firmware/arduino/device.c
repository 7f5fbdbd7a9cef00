#include <avr/pgmspace.h>
#include <string.h>
#include "config.h"
#include "device.h"
#include "hal.h"
#include "link.h"

/* Strings stay in flash: RAM holds only what changes. */
static const char joint_names[JOINT_COUNT][RTP_JOINT_NAME_LEN + 1] PROGMEM = JOINT_NAMES;
static const char device_id[] PROGMEM = DEVICE_ID;
static const float min_position_rad[JOINT_COUNT] = JOINT_MIN_POSITION_RAD;
static const float max_position_rad[JOINT_COUNT] = JOINT_MAX_POSITION_RAD;
static const float max_velocity_rad_s[JOINT_COUNT] = JOINT_MAX_VELOCITY_RAD_S;

#define NO_JOINT 0xFEu
#define SESSION_TIMEOUT_MIN_MS 5000u
#define HEARTBEAT_PERIOD_US 1000000u
/* The most frames a session's first state stays behind its newest: the largest distance still "older". */
#define SESSION_SEQ_WINDOW 0x7FFFu

static struct {
    uint8_t session;
    uint8_t enabled;
    uint8_t estop_latch;
    uint8_t estop_input;
    uint8_t watchdog_expired;
    /* The latched fault (this firmware latches one: POSITION_LIMIT), or fault_code 0. */
    uint16_t fault_code;
    uint8_t fault_joint;
    uint16_t watchdog_ms;
    uint16_t state_rate_hz;
    uint64_t last_feed_us;
    uint64_t last_host_frame_us;
    uint64_t last_heartbeat_us;
    uint64_t last_cycle_us;
    uint64_t next_cycle_us;
    uint8_t any_command_accepted;
    uint16_t last_command_seq;
    uint16_t commands_rejected;
    uint8_t active_mode;
    uint8_t state_sent;
    /* The session's first and latest JOINT_STATE: check 10 accepts only states between them (§ 10.4). */
    uint16_t first_state_seq;
    uint16_t last_state_seq;
    uint8_t nak_sent_this_period;
    uint8_t limit_active;
    uint8_t clamped[JOINT_COUNT];
    float requested_rad[JOINT_COUNT];
    float applied_rad[JOINT_COUNT];
    hal_reading_t reading;
    /* The previous control message and its answer, for a repeated seq (§ 10.6). */
    uint8_t have_control;
    uint16_t control_type;
    uint16_t control_seq;
    uint16_t control_result;
} dev;

/* ------------------------------------------------------------------ sending */

static uint16_t status_bits(void)
{
    uint16_t status = 0;
    if (dev.enabled) status |= RTP_STATUS_TORQUE_ENABLED;
    if (dev.estop_latch) status |= RTP_STATUS_ESTOPPED;
    if (dev.watchdog_expired) status |= RTP_STATUS_WATCHDOG_EXPIRED;
    if (dev.fault_code != 0) status |= RTP_STATUS_FAULT;
    if (dev.session) status |= RTP_STATUS_SESSION;
    if (dev.limit_active) status |= RTP_STATUS_LIMIT_ACTIVE;
    return status;
}

static void send_device_info(void)
{
    rtp_message_t *m = link_message();
    rtp_device_info_t *info = &m->u.device_info;
    uint8_t j;
    m->type = RTP_MSG_DEVICE_INFO;
    info->protocol_major = RTP_PROTOCOL_MAJOR;
    info->protocol_minor = RTP_PROTOCOL_MINOR;
    info->firmware_major = FIRMWARE_MAJOR;
    info->firmware_minor = FIRMWARE_MINOR;
    info->firmware_patch = FIRMWARE_PATCH;
    info->joint_count = JOINT_COUNT;
    info->supported_modes = RTP_MODE_POSITION;
    info->min_state_rate_hz = MIN_STATE_RATE_HZ;
    info->max_state_rate_hz = MAX_STATE_RATE_HZ;
    info->default_state_rate_hz = DEFAULT_STATE_RATE_HZ;
    info->default_watchdog_ms = DEFAULT_WATCHDOG_MS;
    strcpy_P(info->device_id, device_id);
    for (j = 0; j < JOINT_COUNT; j++) strcpy_P(info->joint_names[j], joint_names[j]);
    link_send();
}

static void send_ack(uint16_t acked_type, uint16_t acked_seq, uint16_t result)
{
    rtp_message_t *m = link_message();
    m->type = RTP_MSG_ACK;
    m->u.ack.acked_type = acked_type;
    m->u.ack.acked_seq = acked_seq;
    m->u.ack.result = result;
    link_send();
}

/* `text`: a string in flash (PSTR). */
static void send_fault(uint64_t now_us, uint16_t code, uint8_t joint, uint8_t flags, const char *text)
{
    rtp_message_t *m = link_message();
    m->type = RTP_MSG_FAULT;
    m->u.fault.device_time_us = now_us;
    m->u.fault.code = code;
    m->u.fault.joint = joint;
    m->u.fault.flags = flags;
    strncpy_P(m->u.fault.text, text, RTP_FAULT_TEXT_LEN);
    m->u.fault.text[RTP_FAULT_TEXT_LEN] = '\0';
    link_send();
}

static void send_heartbeat(uint64_t now_us)
{
    rtp_message_t *m = link_message();
    m->type = RTP_MSG_HEARTBEAT;
    m->u.heartbeat.time_us = now_us;
    m->u.heartbeat.status = status_bits();
    link_send();
}

static void send_joint_state(uint64_t sampled_us)
{
    rtp_message_t *m = link_message();
    rtp_joint_state_t *state = &m->u.joint_state;
    uint8_t j;
    m->type = RTP_MSG_JOINT_STATE;
    state->device_time_us = sampled_us;
    state->device_status = status_bits();
    state->last_command_seq = dev.last_command_seq;
    state->commands_rejected = dev.commands_rejected;
    state->active_mode = dev.active_mode;
    state->joint_count = JOINT_COUNT;
    /* No current, temperature or voltage sensing: a 1.0 JOINT_STATE. The message buffer is shared, so
     * the byte is set rather than assumed zero. */
    state->wear_fields = 0;
    for (j = 0; j < JOINT_COUNT; j++) {
        float q = dev.reading.position_rad[j];
        uint8_t status = dev.reading.sensor_status[j];
        if (dev.enabled) status |= RTP_JOINT_STATUS_TORQUE_ON;
        if (dev.clamped[j]) status |= RTP_JOINT_STATUS_CLAMPED;
        if (q <= min_position_rad[j] || q >= max_position_rad[j]) status |= RTP_JOINT_STATUS_AT_LIMIT;
        if (dev.fault_code != 0 && dev.fault_joint == j) status |= RTP_JOINT_STATUS_FAULT;
        state->position_rad[j] = q;
        state->velocity_rad_s[j] = dev.reading.velocity_rad_s[j];
        state->effort_nm[j] = dev.reading.effort_nm[j];
        state->joint_status[j] = status;
    }
    dev.last_state_seq = link_send();
    if (!dev.state_sent) dev.first_state_seq = dev.last_state_seq;
    /* Check 10's "not before the session's first state" only means something within half the sequence
     * space (§ 8.2): past it, a long session's own states would look older than its first, so the first trails. */
    else if ((uint16_t)(dev.last_state_seq - dev.first_state_seq) > SESSION_SEQ_WINDOW)
        dev.first_state_seq = (uint16_t)(dev.last_state_seq - SESSION_SEQ_WINDOW);
    dev.state_sent = 1;
}

/* ------------------------------------------------------------------ states */

/* The present positions become the targets: entering ENABLED holds the joints where they are. */
static void hold_where_measured(void)
{
    uint8_t j;
    for (j = 0; j < JOINT_COUNT; j++) {
        dev.requested_rad[j] = dev.reading.position_rad[j];
        dev.applied_rad[j] = dev.reading.position_rad[j];
    }
}

/* The safe state: the actuators unpowered at once, not at the next cycle. */
static void disable(void)
{
    dev.enabled = 0;
    dev.active_mode = 0;
    hal_drive(dev.applied_rad, 0);
}

static void enable(uint64_t now_us)
{
    dev.enabled = 1;
    dev.watchdog_expired = 0;
    dev.last_feed_us = now_us;
    dev.active_mode = 0;
    hold_where_measured();
    hal_drive(dev.applied_rad, 1);
}

static void check_watchdog(uint64_t now_us)
{
    if (!dev.enabled || now_us - dev.last_feed_us <= (uint64_t)dev.watchdog_ms * 1000u) return;
    disable();
    dev.watchdog_expired = 1;
    send_fault(now_us, RTP_FAULT_WATCHDOG_EXPIRED, RTP_DEVICE_WIDE, 0, PSTR("no command or heartbeat within the watchdog"));
}

static uint16_t period_rate_hz(void)
{
    return dev.session ? dev.state_rate_hz : DEFAULT_STATE_RATE_HZ;
}

static void open_session(uint16_t requested_rate_hz, uint64_t now_us)
{
    uint16_t rate = requested_rate_hz == 0 ? DEFAULT_STATE_RATE_HZ : requested_rate_hz;
    if (rate < MIN_STATE_RATE_HZ) rate = MIN_STATE_RATE_HZ;
    if (rate > MAX_STATE_RATE_HZ) rate = MAX_STATE_RATE_HZ;
    disable();
    dev.session = 1;
    dev.watchdog_ms = DEFAULT_WATCHDOG_MS;
    dev.state_rate_hz = rate;
    dev.any_command_accepted = 0;
    dev.last_command_seq = 0;
    dev.commands_rejected = 0;
    dev.state_sent = 0;
    dev.last_host_frame_us = now_us;
    /* The first JOINT_STATE follows the DEVICE_INFO at once. */
    dev.next_cycle_us = now_us;
}

/* A latched fault whose cause is gone: the joint is back within its range and margin. */
static uint8_t fault_cause_persists(void)
{
    float q;
    if (dev.fault_code != RTP_FAULT_POSITION_LIMIT) return 0;
    q = dev.reading.position_rad[dev.fault_joint];
    return q < min_position_rad[dev.fault_joint] - POSITION_FAULT_MARGIN_RAD ||
           q > max_position_rad[dev.fault_joint] + POSITION_FAULT_MARGIN_RAD;
}

/* ------------------------------------------------------------------ receiving */

static uint16_t torque(uint8_t on, uint64_t now_us)
{
    if (!on) {
        disable();
        return RTP_RESULT_OK;
    }
    if (!dev.session) return RTP_RESULT_NO_SESSION;
    if (dev.estop_latch) return RTP_RESULT_ESTOPPED;
    if (dev.fault_code != 0) return RTP_RESULT_FAULT_ACTIVE;
    if (dev.enabled) {
        /* Already ENABLED: targets and mode stay; the message only feeds the watchdog (§ 10.6). */
        dev.last_feed_us = now_us;
        return RTP_RESULT_OK;
    }
    enable(now_us);
    return RTP_RESULT_OK;
}

static uint16_t estop_clear(void)
{
    if (!dev.session) return RTP_RESULT_NO_SESSION;
    if (dev.estop_input) return RTP_RESULT_ESTOP_INPUT_ACTIVE;
    dev.estop_latch = 0;
    if (dev.fault_code != 0 && !fault_cause_persists()) dev.fault_code = 0;
    disable();
    return dev.fault_code != 0 ? RTP_RESULT_FAULT_ACTIVE : RTP_RESULT_OK;
}

static uint16_t configure(uint16_t watchdog_ms, uint16_t rate_hz)
{
    if (!dev.session) return RTP_RESULT_NO_SESSION;
    if (watchdog_ms != 0 && (watchdog_ms < RTP_WATCHDOG_MIN_MS || watchdog_ms > RTP_WATCHDOG_MAX_MS)) return RTP_RESULT_INVALID_VALUE;
    if (rate_hz != 0 && (rate_hz < MIN_STATE_RATE_HZ || rate_hz > MAX_STATE_RATE_HZ)) return RTP_RESULT_INVALID_VALUE;
    if (watchdog_ms != 0) dev.watchdog_ms = watchdog_ms;
    if (rate_hz != 0) dev.state_rate_hz = rate_hz;
    return RTP_RESULT_OK;
}

/* The ten checks of § 10.4, in order; the first that fails names the NAK. */
static uint16_t command_refusal(uint16_t seq, const rtp_joint_command_t *command, uint64_t now_us)
{
    if (!dev.session) return RTP_RESULT_NO_SESSION;
    if (dev.estop_latch) return RTP_RESULT_ESTOPPED;
    if (dev.fault_code != 0) return RTP_RESULT_FAULT_ACTIVE;
    if (!dev.enabled) return RTP_RESULT_TORQUE_DISABLED;
    if (command->joint_count != JOINT_COUNT) return RTP_RESULT_JOINT_COUNT;
    if (command->mode != RTP_MODE_POSITION) return RTP_RESULT_UNSUPPORTED_MODE;
    if (dev.any_command_accepted && !rtp_seq_is_newer(seq, dev.last_command_seq)) return RTP_RESULT_OUT_OF_ORDER;
    if (now_us > command->deadline_us) return RTP_RESULT_STALE;
    if (command->deadline_us > now_us + RTP_COMMAND_HORIZON_US) return RTP_RESULT_INVALID_VALUE;
    if (!dev.state_sent || rtp_seq_is_newer(command->state_seq, dev.last_state_seq) ||
        rtp_seq_is_newer(dev.first_state_seq, command->state_seq))
        return RTP_RESULT_INVALID_VALUE;
    return RTP_RESULT_OK;
}

static void command(uint16_t seq, const rtp_joint_command_t *command, uint64_t now_us)
{
    uint16_t refusal = command_refusal(seq, command, now_us);
    uint8_t j;
    if (refusal != RTP_RESULT_OK) {
        dev.commands_rejected++;
        if (!dev.nak_sent_this_period) {
            dev.nak_sent_this_period = 1;
            send_ack(RTP_MSG_JOINT_COMMAND, seq, refusal);
        }
        return;
    }
    for (j = 0; j < JOINT_COUNT; j++) dev.requested_rad[j] = command->target[j];
    dev.last_command_seq = seq;
    dev.any_command_accepted = 1;
    dev.active_mode = command->mode;
    dev.last_feed_us = now_us;
}

/* Runs a control message and returns its result; HELLO answers with DEVICE_INFO instead. */
static uint16_t control(uint16_t type, const rtp_message_t *message, uint64_t now_us)
{
    switch (type) {
    case RTP_MSG_HELLO:
        open_session(message->u.hello.state_rate_hz, now_us);
        return RTP_RESULT_OK;
    case RTP_MSG_TORQUE:
        return torque(message->u.torque.enable, now_us);
    case RTP_MSG_ESTOP:
        dev.estop_latch = 1;
        disable();
        return RTP_RESULT_OK;
    case RTP_MSG_ESTOP_CLEAR:
        return estop_clear();
    default: /* RTP_MSG_CONFIGURE */
        return configure(message->u.configure.watchdog_timeout_ms, message->u.configure.state_rate_hz);
    }
}

static void answer_control(uint16_t type, uint16_t seq, uint16_t result)
{
    if (type == RTP_MSG_HELLO) send_device_info();
    else send_ack(type, seq, result);
}

void device_receive(uint16_t type, uint16_t seq, const rtp_message_t *message, uint64_t now_us)
{
    /* A frame that waited while the loop was busy finds an expired watchdog expired (§ 9.2). */
    check_watchdog(now_us);
    dev.last_host_frame_us = now_us;
    /* A HELLO repeats the one that opened the session only while the host has sent nothing else since
     * (§ 8.3): a restarted host counts from 0 again, and its HELLO must open a new session. */
    if (type != RTP_MSG_HELLO && dev.have_control && dev.control_type == RTP_MSG_HELLO) dev.have_control = 0;
    switch (type) {
    case RTP_MSG_JOINT_COMMAND:
        command(seq, &message->u.joint_command, now_us);
        return;
    case RTP_MSG_HEARTBEAT:
        if (dev.enabled) dev.last_feed_us = now_us;
        return;
    case RTP_MSG_HELLO:
    case RTP_MSG_TORQUE:
    case RTP_MSG_ESTOP:
    case RTP_MSG_ESTOP_CLEAR:
    case RTP_MSG_CONFIGURE:
        if (dev.have_control && dev.control_type == type && dev.control_seq == seq) {
            /* A redelivery (MQTT QoS 1): answered again, not executed again. */
            answer_control(type, seq, dev.control_result);
            return;
        }
        dev.control_result = control(type, message, now_us);
        dev.have_control = 1;
        dev.control_type = type;
        dev.control_seq = seq;
        answer_control(type, seq, dev.control_result);
        return;
    default: /* DEVICE_INFO, JOINT_STATE, FAULT, ACK: messages only a device sends */
        send_ack(type, seq, RTP_RESULT_UNSUPPORTED_MESSAGE);
        return;
    }
}

void device_version_mismatch(uint16_t hello_seq)
{
    /* A host the device cannot understand holds the link now: an open session ends, torque off (§ 10.3). */
    if (dev.session) {
        dev.session = 0;
        disable();
    }
    dev.have_control = 0;
    send_device_info();
    send_ack(RTP_MSG_HELLO, hello_seq, RTP_RESULT_VERSION_MISMATCH);
}

/* ------------------------------------------------------------------ time */

void device_boot(uint64_t now_us)
{
    memset(&dev, 0, sizeof dev);
    hal_init();
    hal_sample(0.0f, &dev.reading);
    hold_where_measured();
    dev.estop_input = hal_estop_engaged();
    dev.estop_latch = dev.estop_input;
    dev.watchdog_ms = DEFAULT_WATCHDOG_MS;
    dev.state_rate_hz = DEFAULT_STATE_RATE_HZ;
    dev.last_cycle_us = now_us;
    dev.next_cycle_us = now_us;
    dev.last_heartbeat_us = now_us;
    link_send_delimiter();
    send_device_info();
}

void device_poll(uint64_t now_us)
{
    uint8_t engaged = hal_estop_engaged();
    if (engaged && !dev.estop_input) {
        dev.estop_latch = 1;
        disable();
        send_fault(now_us, RTP_FAULT_ESTOP_INPUT, RTP_DEVICE_WIDE, RTP_FAULT_FLAG_LATCHED, PSTR("e-stop button pressed"));
    }
    dev.estop_input = engaged;
    check_watchdog(now_us);
    if (dev.session) {
        uint64_t timeout_ms = 2u * (uint64_t)dev.watchdog_ms;
        if (timeout_ms < SESSION_TIMEOUT_MIN_MS) timeout_ms = SESSION_TIMEOUT_MIN_MS;
        if (now_us - dev.last_host_frame_us > timeout_ms * 1000u) {
            /* The host is silent: the session ends, heartbeats resume. */
            dev.session = 0;
            disable();
            dev.last_heartbeat_us = now_us;
        }
    }
}

uint64_t device_next_cycle_us(void)
{
    return dev.next_cycle_us;
}

/* Clamps the requested target into the range (flagged) and follows it no faster than the maximum velocity. */
static float limited_target(uint8_t j, float dt_s)
{
    float target = dev.requested_rad[j];
    float step = max_velocity_rad_s[j] * dt_s;
    if (target < min_position_rad[j]) {
        target = min_position_rad[j];
        dev.clamped[j] = 1;
    } else if (target > max_position_rad[j]) {
        target = max_position_rad[j];
        dev.clamped[j] = 1;
    }
    /* Following no faster than the joint may move leaves the target as sent: not a clamp (§ 10.5). */
    if (target > dev.applied_rad[j] + step) target = dev.applied_rad[j] + step;
    else if (target < dev.applied_rad[j] - step) target = dev.applied_rad[j] - step;
    if (dev.clamped[j]) dev.limit_active = 1;
    return target;
}

static void check_position_limits(uint64_t now_us)
{
    uint8_t j;
    if (!dev.enabled) return;
    for (j = 0; j < JOINT_COUNT; j++) {
        float q = dev.reading.position_rad[j];
        if (q >= min_position_rad[j] - POSITION_FAULT_MARGIN_RAD && q <= max_position_rad[j] + POSITION_FAULT_MARGIN_RAD) continue;
        dev.fault_code = RTP_FAULT_POSITION_LIMIT;
        dev.fault_joint = j;
        disable();
        send_fault(now_us, RTP_FAULT_POSITION_LIMIT, j, RTP_FAULT_FLAG_LATCHED, PSTR("joint beyond its position limit"));
        return;
    }
}

void device_cycle(uint64_t now_us)
{
    uint8_t j;
    float dt_s = (float)(now_us - dev.last_cycle_us) * 1e-6f;
    uint64_t period_us = 1000000u / period_rate_hz();
    dev.last_cycle_us = now_us;
    /* Behind by more than a period (a long frame, a slow loop): skip the missed cycles, keep the rate. */
    dev.next_cycle_us += period_us;
    if (dev.next_cycle_us <= now_us) dev.next_cycle_us = now_us + period_us;

    hal_sample(dt_s, &dev.reading);
    check_position_limits(now_us);
    if (dev.enabled) {
        for (j = 0; j < JOINT_COUNT; j++) dev.applied_rad[j] = limited_target(j, dt_s);
    }
    hal_drive(dev.applied_rad, dev.enabled);

    if (dev.session) {
        send_joint_state(now_us);
        dev.limit_active = 0;
        memset(dev.clamped, 0, sizeof dev.clamped);
    } else if (now_us - dev.last_heartbeat_us >= HEARTBEAT_PERIOD_US) {
        dev.last_heartbeat_us = now_us;
        send_heartbeat(now_us);
    }
    dev.nak_sent_this_period = 0;
}

uint8_t device_torque_enabled(void)
{
    return dev.enabled;
}
