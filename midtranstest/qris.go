package midtranstest

import (
	"fmt"
	"strconv"
	"strings"
)

// tlv encodes one EMVCo data object: two-digit id, two-digit length, value.
func tlv(id, value string) string { return fmt.Sprintf("%s%02d%s", id, len(value), value) }

// qrisPayload builds a dynamic QRIS (EMVCo merchant-presented) payload for the amount,
// ending in tag 63 with its CRC16-CCITT, so real QR readers and QRIS parsers accept it.
func qrisPayload(acquirer, merchantID, reference string, amount int64) string {
	guid := "COM.GO-JEK.WWW"
	if acquirer == "airpay shopee" {
		guid = "ID.CO.SHOPEE.WWW"
	}
	ref := strings.ReplaceAll(reference, "-", "")
	if len(ref) > 25 {
		ref = ref[:25]
	}
	if len(merchantID) > 25 {
		merchantID = merchantID[:25]
	}
	p := tlv("00", "01") + // payload format indicator
		tlv("01", "12") + // dynamic: one payment
		tlv("26", tlv("00", guid)+tlv("01", "936009140000000001")+tlv("02", merchantID)+tlv("03", "UMI")) +
		tlv("51", tlv("00", "ID.CO.QRIS.WWW")+tlv("02", "ID1020000000001")+tlv("03", "UMI")) +
		tlv("52", "5814") + // merchant category code
		tlv("53", "360") + // IDR
		tlv("54", strconv.FormatInt(amount, 10)) +
		tlv("58", "ID") +
		tlv("59", "NUSAPAY SIMULATOR") +
		tlv("60", "JAKARTA") +
		tlv("61", "12190") +
		tlv("62", tlv("05", ref)+tlv("07", "A01")) +
		"6304"
	return p + fmt.Sprintf("%04X", crc16CCITT([]byte(p)))
}

// crc16CCITT is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF), the checksum EMVCo QR uses.
func crc16CCITT(data []byte) uint16 {
	crc := uint16(0xFFFF)
	for _, b := range data {
		crc ^= uint16(b) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
