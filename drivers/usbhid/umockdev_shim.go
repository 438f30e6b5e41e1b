//go:build umockdev && !nousb

package usbhid

// This file exists only in test builds with the `umockdev` tag (cgo is not
// allowed in _test.go files). It emulates one USB HID device for the real
// gousb + libusb code path: a umockdev testbed with the device's sysfs
// entry and descriptors, and an ioctl handler answering the usbdevfs
// ioctls libusb issues, the technique of libusb's tests/umockdev.c
// (devices.md). Interrupt IN URBs are completed with the reports the test
// queued. The tests must run under umockdev-wrapper (LD_PRELOAD), with
// the testbed created in TestMain before libusb looks at /sys. The
// emulator's state is C-static: one testbed per process is all umockdev
// supports.

/*
#cgo pkg-config: umockdev-1.0
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/ioctl.h>
#include <linux/usbdevice_fs.h>
#include <umockdev.h>

#define MOCK_DEVNODE "/dev/bus/usb/001/002"
#define MOCK_SYSPATH "/sys/devices/usb1/1-1"
#define MOCK_MAXQ 256
#define MOCK_MAXURB 16

static UMockdevTestbed *mock_bed;
static UMockdevIoctlBase *mock_handler;
static pthread_mutex_t mock_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned char mock_q[MOCK_MAXQ][64];
static int mock_qlen[MOCK_MAXQ];
static int mock_qhead, mock_qcount;
static UMockdevIoctlData *mock_flying[MOCK_MAXURB];
static int mock_nflying;
static UMockdevIoctlData *mock_discarded[MOCK_MAXURB];
static int mock_ndiscarded;
static int mock_unplugged;

static void mock_take(UMockdevIoctlData **list, int *n, int i) {
	for (int j = i; j + 1 < *n; j++) list[j] = list[j + 1];
	(*n)--;
}

// mock_reap answers USBDEVFS_REAPURB(NDELAY); mock_mu is held.
static void mock_reap(UMockdevIoctlClient *client, UMockdevIoctlData *arg) {
	UMockdevIoctlData *urb_data = NULL;
	struct usbdevfs_urb *urb;
	if (mock_ndiscarded > 0) {
		urb_data = mock_discarded[0];
		mock_take(mock_discarded, &mock_ndiscarded, 0);
		urb = (struct usbdevfs_urb *) urb_data->data;
		urb->status = -ENOENT;
		urb->actual_length = 0;
	} else if (mock_unplugged) {
		umockdev_ioctl_client_complete(client, -1, ENODEV);
		return;
	} else if (mock_nflying > 0 && mock_qcount > 0) {
		urb_data = mock_flying[0];
		mock_take(mock_flying, &mock_nflying, 0);
		urb = (struct usbdevfs_urb *) urb_data->data;
		int n = mock_qlen[mock_qhead];
		if (n > urb->buffer_length) n = urb->buffer_length;
		memcpy(urb->buffer, mock_q[mock_qhead], n);
		mock_qhead = (mock_qhead + 1) % MOCK_MAXQ;
		mock_qcount--;
		urb->actual_length = n;
		urb->status = 0;
	} else {
		umockdev_ioctl_client_complete(client, -1, EAGAIN);
		return;
	}
	UMockdevIoctlData *ptr = umockdev_ioctl_data_resolve(arg, 0, sizeof(gpointer), NULL);
	umockdev_ioctl_data_set_ptr(ptr, 0, urb_data);
	umockdev_ioctl_data_unref(ptr);
	umockdev_ioctl_client_complete(client, 0, 0);
	umockdev_ioctl_data_unref(urb_data);
}

static gboolean mock_ioctl(UMockdevIoctlBase *h, UMockdevIoctlClient *client, gpointer unused) {
	(void) h; (void) unused;
	gulong req = umockdev_ioctl_client_get_request(client);
	UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
	pthread_mutex_lock(&mock_mu);
	gboolean handled = TRUE;
	switch (req) {
	case USBDEVFS_GET_CAPABILITIES: {
		UMockdevIoctlData *d = umockdev_ioctl_data_resolve(arg, 0, sizeof(guint32), NULL);
		*(guint32 *) d->data = USBDEVFS_CAP_BULK_CONTINUATION | USBDEVFS_CAP_NO_PACKET_SIZE_LIM |
			USBDEVFS_CAP_REAP_AFTER_DISCONNECT | USBDEVFS_CAP_ZERO_PACKET;
		umockdev_ioctl_data_unref(d);
		umockdev_ioctl_client_complete(client, 0, 0);
		break;
	}
	case USBDEVFS_GETDRIVER: // no kernel driver bound to the interface
		umockdev_ioctl_client_complete(client, -1, ENODATA);
		break;
	case USBDEVFS_IOCTL: // disconnect/connect the kernel driver (auto-detach)
	case USBDEVFS_SETCONFIGURATION:
	case USBDEVFS_SETINTERFACE:
	case USBDEVFS_CLAIMINTERFACE:
	case USBDEVFS_RELEASEINTERFACE:
	case USBDEVFS_CLEAR_HALT:
	case USBDEVFS_RESET:
	case USBDEVFS_RESETEP:
		if (mock_unplugged) umockdev_ioctl_client_complete(client, -1, ENODEV);
		else umockdev_ioctl_client_complete(client, 0, 0);
		break;
	case USBDEVFS_SUBMITURB: {
		if (mock_unplugged || mock_nflying == MOCK_MAXURB) {
			umockdev_ioctl_client_complete(client, -1, mock_unplugged ? ENODEV : ENOMEM);
			break;
		}
		UMockdevIoctlData *urb_data = umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_urb), NULL);
		struct usbdevfs_urb *urb = (struct usbdevfs_urb *) urb_data->data;
		UMockdevIoctlData *buf = umockdev_ioctl_data_resolve(urb_data, G_STRUCT_OFFSET(struct usbdevfs_urb, buffer), urb->buffer_length, NULL);
		umockdev_ioctl_data_unref(buf);
		mock_flying[mock_nflying++] = urb_data; // keeps the reference
		umockdev_ioctl_client_complete(client, 0, 0);
		break;
	}
	case USBDEVFS_REAPURB:
	case USBDEVFS_REAPURBNDELAY:
		mock_reap(client, arg);
		break;
	case USBDEVFS_DISCARDURB: {
		int found = -1;
		for (int i = 0; i < mock_nflying; i++)
			if (mock_flying[i]->client_addr == (gulong) *(void **) arg->data) found = i;
		if (found < 0) {
			umockdev_ioctl_client_complete(client, -1, EINVAL);
			break;
		}
		mock_discarded[mock_ndiscarded++] = mock_flying[found];
		mock_take(mock_flying, &mock_nflying, found);
		umockdev_ioctl_client_complete(client, 0, 0);
		break;
	}
	default:
		handled = FALSE;
	}
	pthread_mutex_unlock(&mock_mu);
	return handled;
}

static int mock_start(void) {
	mock_bed = umockdev_testbed_new();
	if (mock_bed == NULL) return -1;
	mock_handler = umockdev_ioctl_base_new();
	g_signal_connect(mock_handler, "handle-ioctl", G_CALLBACK(mock_ioctl), NULL);
	return 0;
}

// mock_plug adds the device: the ioctl handler first, so libusb can open
// it as soon as it appears (libusb tests/umockdev.c).
static int mock_plug(const char *udev) {
	pthread_mutex_lock(&mock_mu);
	mock_unplugged = 0;
	mock_qhead = mock_qcount = 0;
	// URBs of the previous plug died with it.
	for (int i = 0; i < mock_nflying; i++) umockdev_ioctl_data_unref(mock_flying[i]);
	for (int i = 0; i < mock_ndiscarded; i++) umockdev_ioctl_data_unref(mock_discarded[i]);
	mock_nflying = mock_ndiscarded = 0;
	pthread_mutex_unlock(&mock_mu);
	if (!umockdev_testbed_attach_ioctl(mock_bed, MOCK_DEVNODE, mock_handler, NULL)) return -1;
	if (!umockdev_testbed_add_from_string(mock_bed, udev, NULL)) return -2;
	return 0;
}

// mock_unplug makes every usbdevfs call fail with ENODEV, as the kernel
// does for an unplugged device, and removes the device from sysfs.
static void mock_unplug(void) {
	pthread_mutex_lock(&mock_mu);
	mock_unplugged = 1;
	pthread_mutex_unlock(&mock_mu);
	umockdev_testbed_remove_device(mock_bed, MOCK_SYSPATH);
	umockdev_testbed_detach_ioctl(mock_bed, MOCK_DEVNODE, NULL);
}

static int mock_queue(const unsigned char *r, int n) {
	pthread_mutex_lock(&mock_mu);
	int ok = mock_qcount < MOCK_MAXQ && n <= 64;
	if (ok) {
		int i = (mock_qhead + mock_qcount) % MOCK_MAXQ;
		memcpy(mock_q[i], r, n);
		mock_qlen[i] = n;
		mock_qcount++;
	}
	pthread_mutex_unlock(&mock_mu);
	return ok;
}

static int mock_pending(void) {
	pthread_mutex_lock(&mock_mu);
	int n = mock_qcount;
	pthread_mutex_unlock(&mock_mu);
	return n;
}
*/
import "C"

import (
	"encoding/hex"
	"errors"
	"fmt"
	"unsafe"
)

// mockStart creates the process's umockdev testbed.
func mockStart() error {
	if C.mock_start() != 0 {
		return errors.New("umockdev_testbed_new failed")
	}
	return nil
}

// mockDevice describes the emulated HID device.
type mockDevice struct {
	vid, pid   uint16
	pos        bool // a HID POS scanner (64-byte reports) rather than a boot keyboard
	packetSize int
}

// mockPlug plugs the device in at bus 1, port 1 (/sys/devices/usb1/1-1).
func mockPlug(d mockDevice) error {
	udev := fmt.Sprintf("P: /devices/usb1/1-1\nN: bus/usb/001/002\nE: SUBSYSTEM=usb\nE: DRIVER=usb\n"+
		"E: BUSNUM=001\nE: DEVNUM=002\nE: DEVNAME=/dev/bus/usb/001/002\nE: DEVTYPE=usb_device\n"+
		"A: bConfigurationValue=1\\n\nA: busnum=1\\n\nA: devnum=2\\n\nA: speed=12\\n\n"+
		"H: descriptors=%s\n", hex.EncodeToString(d.descriptors()))
	cs := C.CString(udev)
	defer C.free(unsafe.Pointer(cs))
	if rc := C.mock_plug(cs); rc != 0 {
		return fmt.Errorf("plug emulated device: step %d failed", -rc)
	}
	return nil
}

// descriptors returns the device, configuration, interface, HID and
// endpoint descriptors as sysfs "descriptors" holds them (USB 2.0 §9.6,
// HID 1.11 §6.2.1).
func (d mockDevice) descriptors() []byte {
	dev := []byte{18, 1, 0x00, 0x02, 0, 0, 0, 8, byte(d.vid), byte(d.vid >> 8), byte(d.pid), byte(d.pid >> 8), 0x00, 0x01, 0, 0, 0, 1}
	cfg := []byte{9, 2, 34, 0, 1, 1, 0, 0x80, 50}
	intf := []byte{9, 4, 0, 0, 1, 3, 1, 1, 0} // HID, boot subclass, keyboard
	if d.pos {
		intf = []byte{9, 4, 0, 0, 1, 3, 0, 0, 0}
	}
	hidDesc := []byte{9, 0x21, 0x11, 0x01, 0, 1, 0x22, 63, 0}
	ep := []byte{7, 5, 0x81, 3, byte(d.packetSize), 0, 10} // EP1 IN, interrupt
	out := append(dev, cfg...)
	out = append(out, intf...)
	out = append(out, hidDesc...)
	return append(out, ep...)
}

// mockUnplug unplugs the device.
func mockUnplug() { C.mock_unplug() }

// mockQueue queues one input report for the next interrupt IN read.
func mockQueue(report []byte) error {
	if len(report) == 0 {
		return errors.New("empty report")
	}
	if C.mock_queue((*C.uchar)(unsafe.Pointer(&report[0])), C.int(len(report))) == 0 {
		return errors.New("report queue full or report over 64 bytes")
	}
	return nil
}

// mockPending returns how many queued reports the driver has not read.
func mockPending() int { return int(C.mock_pending()) }
